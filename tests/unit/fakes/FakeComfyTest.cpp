#include "FakeComfyUI.h"
#include "HttpTestClient.h"
#include "TempDir.h"

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/Buffer.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/WebSocket.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

using comfygate::fakes::FakeComfyUI;
using comfygate::test::HttpResult;
using comfygate::test::HttpTestClient;
using comfygate::test::TempDir;
using Poco::JSON::Array;
using Poco::JSON::Object;

namespace {

Poco::Dynamic::Var parse(const std::string& text)
{
    return Poco::JSON::Parser().parse(text);
}

/// A test-side ComfyUI WebSocket client: text frames parsed, binary frames kept raw.
class WsClient
{
public:
    struct Frame
    {
        bool binary = false;
        std::string type; ///< JSON "type" or "binary"
        Object::Ptr data;
        std::string bytes;
    };

    WsClient(unsigned port, const std::string& clientId, const std::map<std::string, std::string>& headers = {})
        : _session("127.0.0.1", static_cast<Poco::UInt16>(port))
    {
        Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, "/ws?clientId=" + clientId,
                                       Poco::Net::HTTPMessage::HTTP_1_1);
        for (const auto& [name, value] : headers) request.set(name, value);
        Poco::Net::HTTPResponse response;
        _socket = std::make_unique<Poco::Net::WebSocket>(_session, request, response);
        _socket->setReceiveTimeout(Poco::Timespan(5, 0));
    }

    void sendText(const std::string& text) { _socket->sendFrame(text.data(), static_cast<int>(text.size())); }

    Frame next()
    {
        Poco::Buffer<char> buffer(0);
        int flags = 0;
        _socket->receiveFrame(buffer, flags);
        Frame frame;
        frame.bytes.assign(buffer.begin(), buffer.size());
        if ((flags & Poco::Net::WebSocket::FRAME_OP_BITMASK) == Poco::Net::WebSocket::FRAME_OP_BINARY) {
            frame.binary = true;
            frame.type = "binary";
            return frame;
        }
        Object::Ptr message = parse(frame.bytes).extract<Object::Ptr>();
        frame.type = message->getValue<std::string>("type");
        frame.data = message->getObject("data");
        return frame;
    }

    /// Frames until `executing` with node null for the prompt (inclusive).
    std::vector<Frame> untilDone(const std::string& promptId)
    {
        std::vector<Frame> frames;
        for (int i = 0; i < 500; ++i) {
            Frame frame = next();
            frames.push_back(frame);
            if (frame.type == "executing" && frame.data->isNull("node") &&
                frame.data->optValue<std::string>("prompt_id", "") == promptId)
                return frames;
        }
        throw std::runtime_error("prompt did not finish");
    }

    void close() { _socket->close(); }

private:
    Poco::Net::HTTPClientSession _session;
    std::unique_ptr<Poco::Net::WebSocket> _socket;
};

std::string workflow(const std::string& ckpt = "model.safetensors", int steps = 3, const std::string& prefix = "ComfyUI")
{
    return R"({"4":{"class_type":"CheckpointLoaderSimple","inputs":{"ckpt_name":")" + ckpt +
           R"("}},"5":{"class_type":"EmptyLatentImage","inputs":{"width":512,"height":512,"batch_size":1}},)"
           R"("6":{"class_type":"CLIPTextEncode","inputs":{"text":"a red fox","clip":["4",1]}},)"
           R"("7":{"class_type":"CLIPTextEncode","inputs":{"text":"","clip":["4",1]}},)"
           R"("3":{"class_type":"KSampler","inputs":{"seed":1,"steps":)" +
           std::to_string(steps) +
           R"(,"cfg":7.5,"sampler_name":"euler","scheduler":"normal","denoise":1,"model":["4",0],)"
           R"("positive":["6",0],"negative":["7",0],"latent_image":["5",0]}},)"
           R"("8":{"class_type":"VAEDecode","inputs":{"samples":["3",0],"vae":["4",2]}},)"
           R"("9":{"class_type":"SaveImage","inputs":{"filename_prefix":")" +
           prefix + R"(","images":["8",0]}}})";
}

std::uint32_t beUint32(const std::string& bytes, std::size_t at)
{
    return (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at])) << 24) |
           (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at + 1])) << 16) |
           (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at + 2])) << 8) |
           static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at + 3]));
}

std::string multipart(const std::string& boundary, const std::map<std::string, std::string>& fields,
                      const std::string& fileField, const std::string& filename, const std::string& content)
{
    std::string body;
    for (const auto& [name, value] : fields)
        body += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + value + "\r\n";
    body += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + fileField + "\"; filename=\"" + filename +
            "\"\r\nContent-Type: image/png\r\n\r\n" + content + "\r\n--" + boundary + "--\r\n";
    return body;
}

} // namespace

class FakeComfyTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(FakeComfyTest);
    CPPUNIT_TEST(testObjectInfoListsNodesAndFiles);
    CPPUNIT_TEST(testPromptRunsWithEventSequenceAndPreviews);
    CPPUNIT_TEST(testPreviewMetadataNegotiated);
    CPPUNIT_TEST(testHistoryAndJobsShapes);
    CPPUNIT_TEST(testValidationErrorShapes);
    CPPUNIT_TEST(testUploadAndViewRoundTrip);
    CPPUNIT_TEST(testViewGuards);
    CPPUNIT_TEST(testOutputPngCarriesPromptAndWorkflow);
    CPPUNIT_TEST(testOriginGuard);
    CPPUNIT_TEST(testApiTwinsAndInternalException);
    CPPUNIT_TEST(testDelayAndFailingSwitches);
    CPPUNIT_TEST(testInterrupt);
    CPPUNIT_TEST(testQueueClearAndDelete);
    CPPUNIT_TEST(testApiKeyLeakSwitch);
    CPPUNIT_TEST(testWebSocketTakeOver);
    CPPUNIT_TEST(testUserdataAndRecordedHeaders);
    CPPUNIT_TEST(testPriorityNumberAndFront);
    CPPUNIT_TEST(testBroadcastsWithoutClientIdAndToggles);
    CPPUNIT_TEST(testFailingNodeClass);
    CPPUNIT_TEST(testBodyLimitFreeAndRange);
    CPPUNIT_TEST(testSettingsMetadataAndLogs);
    CPPUNIT_TEST(testTestHooks);
    CPPUNIT_TEST(testRestartOnSamePort);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override
    {
        _dir = std::make_unique<TempDir>();
        _fake = std::make_unique<FakeComfyUI>(_dir->path());
        _fake->addModel("checkpoints", "model.safetensors");
        _fake->addModel("loras", "style/detail.safetensors");
        _fake->setExecutionTime(std::chrono::milliseconds(60));
        _fake->start();
        _http = std::make_unique<HttpTestClient>(_fake->port());
    }

    void tearDown() override
    {
        _fake->stop();
        _fake.reset();
        _dir.reset();
    }

    std::string submit(const std::string& body)
    {
        HttpResult result = _http->postJson("/prompt", body);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(result.body, 200, result.status);
        return result.json()->getValue<std::string>("prompt_id");
    }

    void waitForHistory(const std::string& promptId)
    {
        for (int i = 0; i < 300; ++i) {
            if (_http->get("/history/" + promptId).json()->has(promptId)) return;
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        CPPUNIT_FAIL("no history for " + promptId);
    }

    void waitForRunning()
    {
        for (int i = 0; i < 500; ++i) {
            if (_http->get("/queue").json()->getArray("queue_running")->size() == 1) return;
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        CPPUNIT_FAIL("nothing started running");
    }

    void testObjectInfoListsNodesAndFiles()
    {
        Object::Ptr info = _http->get("/object_info").json();
        for (const char* name : {"CheckpointLoaderSimple", "CLIPTextEncode", "KSampler", "EmptyLatentImage", "VAEDecode",
                                 "SaveImage", "LoadImage", "LoraLoader"})
            CPPUNIT_ASSERT_MESSAGE(name, info->has(name));
        Object::Ptr ckpt = info->getObject("CheckpointLoaderSimple");
        Array::Ptr names = ckpt->getObject("input")->getObject("required")->getArray("ckpt_name")->getArray(0);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), names->size());
        CPPUNIT_ASSERT_EQUAL(std::string("model.safetensors"), names->getElement<std::string>(0));
        CPPUNIT_ASSERT_EQUAL(std::string("MODEL"), ckpt->getArray("output")->getElement<std::string>(0));
        CPPUNIT_ASSERT(info->getObject("SaveImage")->getValue<bool>("output_node"));
        Object::Ptr steps = info->getObject("KSampler")->getObject("input")->getObject("required")->getArray("steps")->getObject(1);
        CPPUNIT_ASSERT_EQUAL(1, steps->getValue<int>("min"));
        CPPUNIT_ASSERT_EQUAL(10000, steps->getValue<int>("max"));
        Array::Ptr loras = info->getObject("LoraLoader")->getObject("input")->getObject("required")->getArray("lora_name")->getArray(0);
        CPPUNIT_ASSERT_EQUAL(std::string("style/detail.safetensors"), loras->getElement<std::string>(0));

        Object::Ptr one = _http->get("/object_info/KSampler").json();
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), one->size());
        CPPUNIT_ASSERT(one->has("KSampler"));
        CPPUNIT_ASSERT_EQUAL(std::string("{}"), _http->get("/object_info/Nope").body);
        CPPUNIT_ASSERT_EQUAL(std::string("[\"style/detail.safetensors\"]"), _http->get("/models/loras").body);
        CPPUNIT_ASSERT_EQUAL(404, _http->get("/models/nope").status);
    }

    void testPromptRunsWithEventSequenceAndPreviews()
    {
        WsClient ws(_fake->port(), "client-1");
        WsClient::Frame first = ws.next();
        CPPUNIT_ASSERT_EQUAL(std::string("status"), first.type);
        CPPUNIT_ASSERT_EQUAL(std::string("client-1"), first.data->getValue<std::string>("sid"));
        CPPUNIT_ASSERT_EQUAL(0, first.data->getObject("status")->getObject("exec_info")->getValue<int>("queue_remaining"));

        const std::string id = submit(R"({"client_id":"client-1","prompt_id":"p-1","prompt":)" + workflow() + "}");
        CPPUNIT_ASSERT_EQUAL(std::string("p-1"), id);
        auto frames = ws.untilDone(id);

        std::vector<std::string> types;
        for (const auto& frame : frames) types.push_back(frame.type);
        auto position = [&](const std::string& type, std::size_t from = 0) {
            for (std::size_t i = from; i < types.size(); ++i)
                if (types[i] == type) return i;
            CPPUNIT_FAIL("missing " + type);
            return std::size_t(0);
        };
        CPPUNIT_ASSERT_EQUAL(std::string("status"), types[0]);
        const auto start = position("execution_start");
        CPPUNIT_ASSERT_EQUAL(std::string("execution_cached"), types[start + 1]);
        CPPUNIT_ASSERT_EQUAL(std::string("executing"), types[start + 2]);
        const auto progress = position("progress");
        CPPUNIT_ASSERT_EQUAL(std::string("3"), frames[progress].data->getValue<std::string>("node"));
        CPPUNIT_ASSERT_EQUAL(3, frames[progress].data->getValue<int>("max"));
        const auto executed = position("executed");
        const auto success = position("execution_success");
        CPPUNIT_ASSERT(start < progress && progress < executed && executed < success);
        CPPUNIT_ASSERT_EQUAL(std::string("status"), types[success + 1]);
        CPPUNIT_ASSERT_EQUAL(types.size() - 1, success + 2);

        int previews = 0;
        for (const auto& frame : frames) {
            if (!frame.binary) continue;
            ++previews;
            CPPUNIT_ASSERT_EQUAL(std::uint32_t(1), beUint32(frame.bytes, 0));
            CPPUNIT_ASSERT_EQUAL(std::uint32_t(2), beUint32(frame.bytes, 4));
            CPPUNIT_ASSERT_EQUAL(std::string("\x89PNG", 4), frame.bytes.substr(8, 4));
        }
        CPPUNIT_ASSERT_EQUAL(2, previews);

        Object::Ptr output = frames[executed].data->getObject("output");
        Object::Ptr image = output->getArray("images")->getObject(0);
        CPPUNIT_ASSERT_EQUAL(std::string("ComfyUI_00001_.png"), image->getValue<std::string>("filename"));
        CPPUNIT_ASSERT_EQUAL(std::string(""), image->getValue<std::string>("subfolder"));
        CPPUNIT_ASSERT_EQUAL(std::string("output"), image->getValue<std::string>("type"));
        CPPUNIT_ASSERT(std::filesystem::exists(_fake->outputDir() + "/ComfyUI_00001_.png"));
        ws.close();
    }

    void testPreviewMetadataNegotiated()
    {
        WsClient ws(_fake->port(), "meta");
        ws.next();
        ws.sendText(R"({"type":"feature_flags","data":{"supports_preview_metadata":true}})");
        WsClient::Frame reply = ws.next();
        CPPUNIT_ASSERT_EQUAL(std::string("feature_flags"), reply.type);
        CPPUNIT_ASSERT(reply.data->getValue<bool>("supports_preview_metadata"));

        const std::string id = submit(R"({"client_id":"meta","prompt":)" + workflow() + "}");
        int previews = 0;
        for (const auto& frame : ws.untilDone(id)) {
            if (!frame.binary) continue;
            ++previews;
            CPPUNIT_ASSERT_EQUAL(std::uint32_t(4), beUint32(frame.bytes, 0));
            const std::uint32_t length = beUint32(frame.bytes, 4);
            Object::Ptr metadata = parse(frame.bytes.substr(8, length)).extract<Object::Ptr>();
            CPPUNIT_ASSERT_EQUAL(id, metadata->getValue<std::string>("prompt_id"));
            CPPUNIT_ASSERT_EQUAL(std::string("3"), metadata->getValue<std::string>("node_id"));
            CPPUNIT_ASSERT_EQUAL(std::string("image/png"), metadata->getValue<std::string>("image_type"));
            CPPUNIT_ASSERT_EQUAL(std::string("\x89PNG", 4), frame.bytes.substr(8 + length, 4));
        }
        CPPUNIT_ASSERT_EQUAL(2, previews);
    }

    void testHistoryAndJobsShapes()
    {
        const std::string first = submit(R"({"prompt":)" + workflow() +
                                         R"(,"extra_data":{"extra_pnginfo":{"workflow":{"id":"wf-7"}}}})");
        waitForHistory(first);
        const std::string second = submit(R"({"prompt":)" + workflow() + "}");
        waitForHistory(second);

        Object::Ptr item = _http->get("/history/" + first).json()->getObject(first);
        Array::Ptr prompt = item->getArray("prompt");
        CPPUNIT_ASSERT_EQUAL(std::size_t(5), prompt->size());
        CPPUNIT_ASSERT_EQUAL(first, prompt->getElement<std::string>(1));
        CPPUNIT_ASSERT(prompt->getObject(3)->has("create_time"));
        CPPUNIT_ASSERT_EQUAL(std::string("9"), prompt->getArray(4)->getElement<std::string>(0));
        Object::Ptr status = item->getObject("status");
        CPPUNIT_ASSERT_EQUAL(std::string("success"), status->getValue<std::string>("status_str"));
        CPPUNIT_ASSERT(status->getValue<bool>("completed"));
        Array::Ptr messages = status->getArray("messages");
        CPPUNIT_ASSERT_EQUAL(std::string("execution_start"), messages->getArray(0)->getElement<std::string>(0));
        CPPUNIT_ASSERT_EQUAL(std::string("execution_success"), messages->getArray(2)->getElement<std::string>(0));
        CPPUNIT_ASSERT(item->getObject("outputs")->getObject("9")->getArray("images")->size() == 1);
        CPPUNIT_ASSERT_EQUAL(std::string("9"), item->getObject("meta")->getObject("9")->getValue<std::string>("node_id"));

        CPPUNIT_ASSERT_EQUAL(std::string("{}"), _http->get("/history/unknown").body);
        Object::Ptr last = _http->get("/history?max_items=1").json();
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), last->size());
        CPPUNIT_ASSERT(last->has(second));
        Object::Ptr firstPage = _http->get("/history?max_items=1&offset=0").json();
        CPPUNIT_ASSERT(firstPage->has(first));
        CPPUNIT_ASSERT_EQUAL(500, _http->get("/history?max_items=x").status);

        Object::Ptr jobs = _http->get("/api/jobs?limit=1").json();
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), jobs->getArray("jobs")->size());
        Object::Ptr pagination = jobs->getObject("pagination");
        CPPUNIT_ASSERT_EQUAL(2, pagination->getValue<int>("total"));
        CPPUNIT_ASSERT(pagination->getValue<bool>("has_more"));
        Object::Ptr job = jobs->getArray("jobs")->getObject(0);
        CPPUNIT_ASSERT_EQUAL(second, job->getValue<std::string>("id")); // newest first
        CPPUNIT_ASSERT_EQUAL(std::string("completed"), job->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(1, job->getValue<int>("outputs_count"));
        CPPUNIT_ASSERT_EQUAL(std::string("images"), job->getObject("preview_output")->getValue<std::string>("mediaType"));

        Object::Ptr filtered = _http->get("/api/jobs?workflow_id=wf-7").json();
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), filtered->getArray("jobs")->size());
        CPPUNIT_ASSERT_EQUAL(400, _http->get("/api/jobs?status=bogus").status);
        CPPUNIT_ASSERT_EQUAL(400, _http->get("/api/jobs?limit=0").status);
        Object::Ptr detail = _http->get("/api/jobs/" + first).json();
        CPPUNIT_ASSERT(detail->has("outputs") && detail->has("execution_status") && detail->has("workflow"));
        CPPUNIT_ASSERT_EQUAL(std::string("wf-7"), detail->getValue<std::string>("workflow_id"));
        HttpResult missing = _http->get("/api/jobs/nope");
        CPPUNIT_ASSERT_EQUAL(404, missing.status);
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"error":"Job not found"})"), missing.body);
        CPPUNIT_ASSERT_EQUAL(404, _http->get("/jobs").status);
        CPPUNIT_ASSERT_EQUAL(200, _http->get("/api/api/jobs").status);
    }

    Object::Ptr rejected(const std::string& body)
    {
        HttpResult result = _http->postJson("/prompt", body);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(result.body, 400, result.status);
        return result.json();
    }

    void testValidationErrorShapes()
    {
        HttpResult noPrompt = _http->postJson("/prompt", "{}");
        CPPUNIT_ASSERT_EQUAL(400, noPrompt.status);
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"error":{"type":"no_prompt","message":"No prompt provided",)"
                                         R"("details":"No prompt provided","extra_info":{}},"node_errors":{}})"),
                             noPrompt.body);

        Object::Ptr missingClass = rejected(R"({"prompt":{"1":{"inputs":{}}}})")->getObject("error");
        CPPUNIT_ASSERT_EQUAL(std::string("invalid_prompt"), missingClass->getValue<std::string>("type"));
        CPPUNIT_ASSERT_EQUAL(std::string("Cannot execute because a node is missing the class_type property."),
                             missingClass->getValue<std::string>("message"));
        CPPUNIT_ASSERT_EQUAL(std::string("Node ID '#1'"), missingClass->getValue<std::string>("details"));

        Object::Ptr unknown = rejected(R"({"prompt":{"1":{"class_type":"Nope","inputs":{}}}})")->getObject("error");
        CPPUNIT_ASSERT_EQUAL(std::string("Cannot execute because node Nope does not exist."), unknown->getValue<std::string>("message"));

        Object::Ptr noOutputs = rejected(R"({"prompt":{"5":{"class_type":"EmptyLatentImage","inputs":{"width":512,"height":512,"batch_size":1}}}})");
        CPPUNIT_ASSERT_EQUAL(std::string("prompt_no_outputs"), noOutputs->getObject("error")->getValue<std::string>("type"));

        auto firstError = [&](const std::string& prompt, const std::string& node) {
            Object::Ptr body = rejected(R"({"prompt":)" + prompt + "}");
            CPPUNIT_ASSERT_EQUAL(std::string("prompt_outputs_failed_validation"), body->getObject("error")->getValue<std::string>("type"));
            Object::Ptr entry = body->getObject("node_errors")->getObject(node);
            CPPUNIT_ASSERT_MESSAGE("node_errors has " + node, entry);
            CPPUNIT_ASSERT_EQUAL(std::string("9"), entry->getArray("dependent_outputs")->getElement<std::string>(0));
            return entry->getArray("errors")->getObject(0);
        };
        Object::Ptr notInList = firstError(workflow("missing.safetensors"), "4");
        CPPUNIT_ASSERT_EQUAL(std::string("value_not_in_list"), notInList->getValue<std::string>("type"));
        CPPUNIT_ASSERT_EQUAL(std::string("ckpt_name: 'missing.safetensors' not in ['model.safetensors']"),
                             notInList->getValue<std::string>("details"));

        Object::Ptr tooSmall = firstError(workflow("model.safetensors", 0), "3");
        CPPUNIT_ASSERT_EQUAL(std::string("value_smaller_than_min"), tooSmall->getValue<std::string>("type"));
        CPPUNIT_ASSERT_EQUAL(std::string("Value 0 smaller than min of 1"), tooSmall->getValue<std::string>("message"));
        CPPUNIT_ASSERT_EQUAL(std::string("steps"), tooSmall->getValue<std::string>("details"));

        Object::Ptr tooBig = firstError(workflow("model.safetensors", 10001), "3");
        CPPUNIT_ASSERT_EQUAL(std::string("value_bigger_than_max"), tooBig->getValue<std::string>("type"));
        CPPUNIT_ASSERT_EQUAL(std::string("Value 10001 bigger than max of 10000"), tooBig->getValue<std::string>("message"));

        std::string sampler = workflow();
        sampler.replace(sampler.find("\"euler\""), 7, "\"bogus\"");
        Object::Ptr longList = firstError(sampler, "3");
        CPPUNIT_ASSERT_EQUAL(std::string("sampler_name: 'bogus' not in (list of length 37)"), longList->getValue<std::string>("details"));
        CPPUNIT_ASSERT(longList->getObject("extra_info")->isNull("input_config"));

        std::string missing = workflow();
        missing.replace(missing.find("\"seed\":1,"), 9, "");
        Object::Ptr required = firstError(missing, "3");
        CPPUNIT_ASSERT_EQUAL(std::string("required_input_missing"), required->getValue<std::string>("type"));
        CPPUNIT_ASSERT_EQUAL(std::string("seed"), required->getObject("extra_info")->getValue<std::string>("input_name"));

        std::string badLink = workflow();
        badLink.replace(badLink.find("[\"8\",0]"), 7, "[\"8\"]");
        Object::Ptr bad = firstError(badLink, "9");
        CPPUNIT_ASSERT_EQUAL(std::string("bad_linked_input"), bad->getValue<std::string>("type"));

        std::string mismatch = workflow();
        mismatch.replace(mismatch.find("[\"8\",0]"), 7, "[\"4\",0]");
        Object::Ptr wrongType = firstError(mismatch, "9");
        CPPUNIT_ASSERT_EQUAL(std::string("return_type_mismatch"), wrongType->getValue<std::string>("type"));
        CPPUNIT_ASSERT_EQUAL(std::string("images, received_type(MODEL) mismatch input_type(IMAGE)"),
                             wrongType->getValue<std::string>("details"));

        std::string notInt = workflow();
        notInt.replace(notInt.find("\"steps\":3"), 9, "\"steps\":\"abc\"");
        Object::Ptr conversion = firstError(notInt, "3");
        CPPUNIT_ASSERT_EQUAL(std::string("invalid_input_type"), conversion->getValue<std::string>("type"));
        CPPUNIT_ASSERT_EQUAL(std::string("Failed to convert an input value to a INT value"), conversion->getValue<std::string>("message"));
        CPPUNIT_ASSERT_EQUAL(std::string("steps, abc, invalid literal for int() with base 10: 'abc'"),
                             conversion->getValue<std::string>("details"));

        HttpResult invalidJson = _http->postJson("/prompt", "{not json");
        CPPUNIT_ASSERT_EQUAL(500, invalidJson.status);
        CPPUNIT_ASSERT_EQUAL(std::string("500 Internal Server Error"), invalidJson.body);
        CPPUNIT_ASSERT_EQUAL(0, _http->get("/prompt").json()->getObject("exec_info")->getValue<int>("queue_remaining"));
    }

    HttpResult uploadImage(const std::map<std::string, std::string>& fields, const std::string& filename,
                           const std::string& content, const std::string& route = "/upload/image")
    {
        const std::string boundary = "----fakeboundary42";
        return _http->request("POST", route, multipart(boundary, fields, "image", filename, content),
                              {{"Content-Type", "multipart/form-data; boundary=" + boundary}});
    }

    void testUploadAndViewRoundTrip()
    {
        const std::string png = FakeComfyUI::pngWithText(4, 4, {{"prompt", "{}"}});
        HttpResult uploaded = uploadImage({{"subfolder", "u_alice"}}, "cat.png", png);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(uploaded.body, 200, uploaded.status);
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"name":"cat.png","subfolder":"u_alice","type":"input"})"), uploaded.body);
        // Same content again reuses the name; different content gets " (1)".
        CPPUNIT_ASSERT_EQUAL(std::string("cat.png"), uploadImage({{"subfolder", "u_alice"}}, "cat.png", png).json()->getValue<std::string>("name"));
        CPPUNIT_ASSERT_EQUAL(std::string("cat (1).png"), uploadImage({{"subfolder", "u_alice"}}, "cat.png", "other").json()->getValue<std::string>("name"));
        CPPUNIT_ASSERT_EQUAL(std::string("cat.png"),
                             uploadImage({{"subfolder", "u_alice"}, {"overwrite", "true"}}, "cat.png", png).json()->getValue<std::string>("name"));

        HttpResult viewed = _http->get("/view?filename=cat.png&type=input&subfolder=u_alice");
        CPPUNIT_ASSERT_EQUAL(200, viewed.status);
        CPPUNIT_ASSERT_EQUAL(png, viewed.body);
        CPPUNIT_ASSERT_EQUAL(std::string("image/png"), viewed.header("Content-Type"));
        CPPUNIT_ASSERT_EQUAL(std::string("filename=\"cat.png\""), viewed.header("Content-Disposition"));
        CPPUNIT_ASSERT_EQUAL(png, _http->get("/api/view?filename=u_alice/cat.png%20%5Binput%5D&subfolder=u_alice").body);

        CPPUNIT_ASSERT_EQUAL(400, uploadImage({{"subfolder", "../.."}}, "x.png", "x").status);
        CPPUNIT_ASSERT_EQUAL(500, uploadImage({{"type", "models"}}, "x.png", "x").status);
        CPPUNIT_ASSERT_EQUAL(std::string("temp"), uploadImage({{"type", "temp"}}, "t.png", "t").json()->getValue<std::string>("type"));

        _fake->addOutput("", "orig.png", png);
        HttpResult mask = uploadImage({{"original_ref", R"({"filename":"orig.png"})"}}, "mask.png", "m", "/upload/mask");
        CPPUNIT_ASSERT_EQUAL(200, mask.status);
        CPPUNIT_ASSERT_EQUAL(png, _http->get("/view?filename=mask.png&type=input").body);

        _fake->addLargeOutput("big.bin", 3 * 1024 * 1024);
        HttpResult big = _http->get("/view?filename=big.bin");
        CPPUNIT_ASSERT_EQUAL(std::size_t(3 * 1024 * 1024), big.body.size());
        CPPUNIT_ASSERT_EQUAL(std::string("application/octet-stream"), big.header("Content-Type"));
    }

    void testViewGuards()
    {
        _fake->addOutput("sub", "a.png", "A");
        CPPUNIT_ASSERT_EQUAL(std::string("A"), _http->get("/view?filename=a.png&subfolder=sub").body);
        CPPUNIT_ASSERT_EQUAL(400, _http->get("/view?filename=../a.png").status);
        CPPUNIT_ASSERT_EQUAL(400, _http->get("/view?filename=%2Fetc%2Fpasswd").status);
        CPPUNIT_ASSERT_EQUAL(403, _http->get("/view?filename=a.png&subfolder=../input").status);
        CPPUNIT_ASSERT_EQUAL(400, _http->get("/view?filename=a.png&type=models").status);
        CPPUNIT_ASSERT_EQUAL(404, _http->get("/view?filename=nope.png").status);
        CPPUNIT_ASSERT_EQUAL(404, _http->get("/view").status);
        CPPUNIT_ASSERT_EQUAL(404, _http->get("/view?filename=a.png%20%5Binput%5D&subfolder=sub").status);
    }

    void testOutputPngCarriesPromptAndWorkflow()
    {
        const std::string id = submit(R"({"prompt":)" + workflow("model.safetensors", 2, "people/alice/img") +
                                      R"(,"extra_data":{"extra_pnginfo":{"workflow":{"id":"wf-9","nodes":[]}}}})");
        waitForHistory(id);
        Object::Ptr image = _http->get("/history/" + id).json()->getObject(id)->getObject("outputs")->getObject("9")
                                ->getArray("images")->getObject(0);
        CPPUNIT_ASSERT_EQUAL(std::string("people/alice"), image->getValue<std::string>("subfolder"));
        CPPUNIT_ASSERT_EQUAL(std::string("img_00001_.png"), image->getValue<std::string>("filename"));
        HttpResult png = _http->get("/view?filename=img_00001_.png&subfolder=people/alice&type=output");
        CPPUNIT_ASSERT_EQUAL(200, png.status);
        auto text = FakeComfyUI::readPngText(png.body);
        Object::Ptr prompt = parse(text.at("prompt")).extract<Object::Ptr>();
        CPPUNIT_ASSERT_EQUAL(std::string("a red fox"), prompt->getObject("6")->getObject("inputs")->getValue<std::string>("text"));
        CPPUNIT_ASSERT_EQUAL(std::string("wf-9"), parse(text.at("workflow")).extract<Object::Ptr>()->getValue<std::string>("id"));

        const std::string second = submit(R"({"prompt":)" + workflow("model.safetensors", 2, "people/alice/img") + "}");
        waitForHistory(second);
        CPPUNIT_ASSERT(std::filesystem::exists(_fake->outputDir() + "/people/alice/img_00002_.png"));

        const std::string escape = submit(R"({"prompt":)" + workflow("model.safetensors", 1, "../evil") + "}");
        waitForHistory(escape);
        Object::Ptr status = _http->get("/history/" + escape).json()->getObject(escape)->getObject("status");
        CPPUNIT_ASSERT_EQUAL(std::string("error"), status->getValue<std::string>("status_str"));
        CPPUNIT_ASSERT_EQUAL(std::string("failed"), _http->get("/api/jobs/" + escape).json()->getValue<std::string>("status"));
    }

    void testOriginGuard()
    {
        HttpResult blocked = _http->get("/object_info", {{"Origin", "https://gateway.example"}});
        CPPUNIT_ASSERT_EQUAL(403, blocked.status);
        CPPUNIT_ASSERT(blocked.body.empty());
        CPPUNIT_ASSERT_EQUAL(200, _http->get("/object_info", {{"Origin", "http://127.0.0.1"}}).status);
        CPPUNIT_ASSERT_EQUAL(200, _http->get("/object_info").status);
        CPPUNIT_ASSERT_EQUAL(403, _http->get("/object_info", {{"Origin", "http://127.0.0.1:1"}}).status);
        CPPUNIT_ASSERT_EQUAL(200, _http->get("/object_info", {{"Host", "comfy.example"}, {"Origin", "https://x.example"}}).status);
        CPPUNIT_ASSERT_THROW(WsClient(_fake->port(), "x", {{"Origin", "https://gateway.example"}}), Poco::Net::WebSocketException);
        _fake->setOriginGuard(false);
        CPPUNIT_ASSERT_EQUAL(200, _http->get("/object_info", {{"Origin", "https://gateway.example"}}).status);
        CPPUNIT_ASSERT_EQUAL(200, _http->request("OPTIONS", "/anything").status);
    }

    void testApiTwinsAndInternalException()
    {
        for (const char* path : {"/object_info", "/queue", "/history", "/prompt", "/features", "/system_stats",
                                 "/embeddings", "/models", "/users", "/extensions"}) {
            HttpResult bare = _http->get(path);
            HttpResult api = _http->get(std::string("/api") + path);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(path, 200, bare.status);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(path, bare.status, api.status);
        }
        CPPUNIT_ASSERT_EQUAL(200, _http->get("/internal/logs").status);
        CPPUNIT_ASSERT_EQUAL(404, _http->get("/api/internal/logs").status);
        HttpResult notFound = _http->get("/nope");
        CPPUNIT_ASSERT_EQUAL(404, notFound.status);
        CPPUNIT_ASSERT_EQUAL(std::string("404: Not Found"), notFound.body);
        CPPUNIT_ASSERT_EQUAL(405, _http->request("DELETE", "/prompt").status);
        CPPUNIT_ASSERT_EQUAL(400, _http->get("/internal/files/models").status);
        Array::Ptr argv = _http->get("/system_stats").json()->getObject("system")->getArray("argv");
        CPPUNIT_ASSERT_EQUAL(std::string("main.py"), argv->getElement<std::string>(0));
        CPPUNIT_ASSERT_EQUAL(200, _http->request("HEAD", "/object_info").status);
    }

    void testDelayAndFailingSwitches()
    {
        _fake->setDelay(std::chrono::milliseconds(150));
        const auto before = std::chrono::steady_clock::now();
        CPPUNIT_ASSERT_EQUAL(200, _http->get("/features").status);
        CPPUNIT_ASSERT(std::chrono::steady_clock::now() - before >= std::chrono::milliseconds(150));
        _fake->setDelay(std::chrono::milliseconds(400));
        std::thread other([this] { _http->get("/queue"); });
        _http->get("/queue");
        other.join();
        CPPUNIT_ASSERT(_fake->maxConcurrentRequests() >= 2);
        _fake->setDelay(std::chrono::milliseconds(0));

        _fake->setFailing(true);
        HttpResult failed = _http->get("/object_info");
        CPPUNIT_ASSERT_EQUAL(500, failed.status);
        CPPUNIT_ASSERT_EQUAL(std::string("500 Internal Server Error"), failed.body);
        CPPUNIT_ASSERT_EQUAL(std::string("text/plain; charset=utf-8"), failed.header("Content-Type"));
        CPPUNIT_ASSERT_THROW(WsClient(_fake->port(), "x"), Poco::Net::WebSocketException);
        _fake->setFailing(false);
        CPPUNIT_ASSERT_EQUAL(200, _http->get("/object_info").status);
    }

    void testInterrupt()
    {
        _fake->setExecutionTime(std::chrono::milliseconds(3000));
        WsClient ws(_fake->port(), "int");
        ws.next();
        const std::string id = submit(R"({"client_id":"int","prompt":)" + workflow("model.safetensors", 50) + "}");
        waitForRunning();
        _http->postJson("/interrupt", R"({"prompt_id":"someone-else"})");
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), _http->get("/queue").json()->getArray("queue_running")->size());

        // A reconnect with the running prompt's sid takes the stream over and is told the node.
        WsClient again(_fake->port(), "int");
        CPPUNIT_ASSERT_EQUAL(std::string("status"), again.next().type);
        WsClient::Frame executing = again.next();
        CPPUNIT_ASSERT_EQUAL(std::string("executing"), executing.type);
        CPPUNIT_ASSERT(executing.data->has("node") && !executing.data->has("prompt_id"));

        CPPUNIT_ASSERT_EQUAL(200, _http->postJson("/interrupt", R"({"prompt_id":")" + id + "\"}").status);
        bool sawInterrupted = false;
        for (const auto& frame : again.untilDone(id)) {
            if (frame.type != "execution_interrupted") continue;
            sawInterrupted = true;
            CPPUNIT_ASSERT_EQUAL(id, frame.data->getValue<std::string>("prompt_id"));
        }
        CPPUNIT_ASSERT(sawInterrupted);
        waitForHistory(id);
        Object::Ptr status = _http->get("/history/" + id).json()->getObject(id)->getObject("status");
        CPPUNIT_ASSERT_EQUAL(std::string("error"), status->getValue<std::string>("status_str"));
        CPPUNIT_ASSERT_EQUAL(std::string("cancelled"), _http->get("/api/jobs/" + id).json()->getValue<std::string>("status"));
    }

    void testQueueClearAndDelete()
    {
        _fake->setExecutionTime(std::chrono::milliseconds(3000));
        const std::string running = submit(R"({"prompt":)" + workflow() + "}");
        waitForRunning();
        const std::string a = submit(R"({"prompt":)" + workflow() + "}");
        const std::string b = submit(R"({"prompt":)" + workflow() + "}");
        const std::string c = submit(R"({"prompt":)" + workflow() + "}");
        CPPUNIT_ASSERT_EQUAL(4, _http->get("/prompt").json()->getObject("exec_info")->getValue<int>("queue_remaining"));
        CPPUNIT_ASSERT_EQUAL(200, _http->postJson("/queue", R"({"delete":[")" + b + "\"]}").status);
        Array::Ptr pending = _http->get("/queue").json()->getArray("queue_pending");
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), pending->size());
        for (std::size_t i = 0; i < pending->size(); ++i) CPPUNIT_ASSERT(pending->getArray(i)->getElement<std::string>(1) != b);
        CPPUNIT_ASSERT_EQUAL(200, _http->postJson("/queue", R"({"clear":true})").status);
        Object::Ptr queue = _http->get("/queue").json();
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), queue->getArray("queue_pending")->size());
        CPPUNIT_ASSERT_EQUAL(running, queue->getArray("queue_running")->getArray(0)->getElement<std::string>(1));
        CPPUNIT_ASSERT_EQUAL(500, _http->postJson("/queue", "{bad").status);
        _http->postJson("/interrupt", "");
        waitForHistory(running);
        CPPUNIT_ASSERT_EQUAL(std::string("error"), _http->get("/history/" + running).json()->getObject(running)
                                                       ->getObject("status")->getValue<std::string>("status_str"));
        _http->postJson("/history", R"({"delete":[")" + running + "\"]}");
        CPPUNIT_ASSERT_EQUAL(std::string("{}"), _http->get("/history").body);
        (void)a;
        (void)c;
    }

    void testApiKeyLeakSwitch()
    {
        _fake->setExecutionTime(std::chrono::milliseconds(3000));
        const std::string body = R"({"prompt":)" + workflow() + R"(,"extra_data":{"api_key_comfy_org":"sk-secret"}})";
        const std::string running = submit(body);
        waitForRunning();
        submit(body);
        CPPUNIT_ASSERT(_http->get("/queue").body.find("sk-secret") == std::string::npos);
        _fake->setLeakApiKeysInQueue(true);
        Object::Ptr queue = _http->get("/queue").json();
        CPPUNIT_ASSERT_EQUAL(std::string("sk-secret"), queue->getArray("queue_pending")->getArray(0)->getObject(3)->getValue<std::string>("api_key_comfy_org"));
        CPPUNIT_ASSERT_EQUAL(std::string("sk-secret"), queue->getArray("queue_running")->getArray(0)->getObject(3)->getValue<std::string>("api_key_comfy_org"));
        _http->postJson("/queue", R"({"clear":true})");
        _http->postJson("/interrupt", "{}");
        waitForHistory(running);
        CPPUNIT_ASSERT(_http->get("/history").body.find("sk-secret") == std::string::npos);
    }

    void testWebSocketTakeOver()
    {
        WsClient victim(_fake->port(), "shared");
        victim.next();
        WsClient thief(_fake->port(), "shared");
        CPPUNIT_ASSERT_EQUAL(std::string("shared"), thief.next().data->getValue<std::string>("sid"));
        for (int i = 0; i < 100 && _fake->openWebSockets() < 2; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), _fake->openWebSockets());
        const std::string id = submit(R"({"client_id":"shared","prompt":)" + workflow() + "}");
        bool thiefGotStart = false;
        for (const auto& frame : thief.untilDone(id)) thiefGotStart = thiefGotStart || frame.type == "execution_start";
        CPPUNIT_ASSERT(thiefGotStart);
        victim.close();
        for (int i = 0; i < 200 && _fake->openWebSockets() > 1; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), _fake->openWebSockets());
    }

    void testUserdataAndRecordedHeaders()
    {
        _fake->addUser("alice_1", "alice");
        const std::map<std::string, std::string> alice{{"comfy-user", "alice_1"}};
        HttpResult saved = _http->request("POST", "/api/userdata/workflows%2Fmy.json", R"({"a":1})", alice);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(saved.body, 200, saved.status);
        CPPUNIT_ASSERT_EQUAL(std::string("\"workflows/my.json\""), saved.body);
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"a":1})"), _http->get("/api/userdata/workflows%2Fmy.json", alice).body);
        CPPUNIT_ASSERT_EQUAL(std::string("[\"my.json\"]"), _http->get("/userdata?dir=workflows", alice).body);
        CPPUNIT_ASSERT_EQUAL(409, _http->request("POST", "/userdata/workflows%2Fmy.json?overwrite=false", "x", alice).status);
        CPPUNIT_ASSERT_EQUAL(500, _http->get("/userdata/workflows%2Fmy.json", {{"comfy-user", "mallory"}}).status);
        CPPUNIT_ASSERT_EQUAL(403, _http->get("/userdata/..%2F..%2Fusers.json", alice).status);
        CPPUNIT_ASSERT_EQUAL(204, _http->request("DELETE", "/userdata/workflows%2Fmy.json", "", alice).status);
        CPPUNIT_ASSERT_EQUAL(404, _http->get("/userdata/workflows%2Fmy.json", alice).status);

        bool found = false;
        for (const auto& request : _fake->requests()) {
            if (request.uri != "/api/userdata/workflows%2Fmy.json" || request.method != "POST") continue;
            found = true;
            CPPUNIT_ASSERT_EQUAL(std::string("alice_1"), request.header("Comfy-User"));
            CPPUNIT_ASSERT_EQUAL(std::uint64_t(7), request.bodySize);
        }
        CPPUNIT_ASSERT(found);
        _fake->clearRequests();
        CPPUNIT_ASSERT(_fake->requests().empty());
    }

    void testPriorityNumberAndFront()
    {
        _fake->setExecutionTime(std::chrono::milliseconds(1000));
        const std::string blocker = submit(R"({"prompt":)" + workflow() + "}");
        waitForRunning();
        _fake->setExecutionTime(std::chrono::milliseconds(10));
        const std::string late = submit(R"({"prompt_id":"late","number":100,"prompt":)" + workflow() + "}");
        const std::string normal = submit(R"({"prompt_id":"normal","prompt":)" + workflow() + "}");
        HttpResult front = _http->postJson("/prompt", R"({"prompt_id":"front","front":true,"prompt":)" + workflow() + "}");
        CPPUNIT_ASSERT(front.json()->getValue<int>("number") < 0);
        waitForHistory(late);
        CPPUNIT_ASSERT_EQUAL(std::size_t(4), _http->get("/history").json()->size());
        // History keeps execution order; the parsed object sorts keys, so look at the raw body.
        const std::string raw = _http->get("/history").body;
        CPPUNIT_ASSERT(raw.find("\"front\":") < raw.find("\"normal\":"));
        CPPUNIT_ASSERT(raw.find("\"normal\":") < raw.find("\"late\":"));
        (void)blocker;
        (void)normal;
        CPPUNIT_ASSERT_EQUAL(std::string("100"), [&] {
            std::string text = _http->get("/history/late").json()->getObject("late")->getArray("prompt")->get(0).toString();
            return text.substr(0, 3);
        }());
    }

    void testBroadcastsWithoutClientIdAndToggles()
    {
        _fake->setTextBroadcast(true);
        _fake->setCustomBroadcast(true);
        WsClient bystander(_fake->port(), "bystander");
        bystander.next();
        const std::string id = submit(R"({"prompt":)" + workflow() + "}");
        std::set<std::string> types;
        int previews = 0, texts = 0;
        for (int i = 0; i < 200; ++i) {
            WsClient::Frame frame = bystander.next();
            if (frame.binary && beUint32(frame.bytes, 0) == 1) ++previews;
            if (frame.binary && beUint32(frame.bytes, 0) == 3) {
                ++texts;
                const std::uint32_t length = beUint32(frame.bytes, 4);
                CPPUNIT_ASSERT_EQUAL(std::string("3"), frame.bytes.substr(8, length));
            }
            types.insert(frame.type);
            if (frame.type == "status" && frame.data->getObject("status")->getObject("exec_info")->getValue<int>("queue_remaining") == 0 &&
                types.count("progress"))
                break;
        }
        // Without client_id the T/B events reach everyone, the T events nobody.
        CPPUNIT_ASSERT(types.count("progress") && types.count("progress_state") && types.count("crystools.monitor"));
        CPPUNIT_ASSERT(!types.count("execution_start") && !types.count("executed") && !types.count("executing"));
        CPPUNIT_ASSERT_EQUAL(2, previews);
        CPPUNIT_ASSERT_EQUAL(1, texts);
        waitForHistory(id);
    }

    void testFailingNodeClass()
    {
        _fake->setFailingNodeClass("VAEDecode");
        WsClient ws(_fake->port(), "fail");
        ws.next();
        const std::string id = submit(R"({"client_id":"fail","prompt":)" + workflow() + "}");
        Object::Ptr error;
        for (const auto& frame : ws.untilDone(id))
            if (frame.type == "execution_error") error = frame.data;
        CPPUNIT_ASSERT(error);
        CPPUNIT_ASSERT_EQUAL(std::string("8"), error->getValue<std::string>("node_id"));
        CPPUNIT_ASSERT_EQUAL(std::string("VAEDecode"), error->getValue<std::string>("node_type"));
        CPPUNIT_ASSERT(error->has("traceback") && error->has("current_inputs") && error->has("exception_message"));
        waitForHistory(id);
        Object::Ptr job = _http->get("/api/jobs/" + id).json();
        CPPUNIT_ASSERT_EQUAL(std::string("failed"), job->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(std::string("VAEDecode"), job->getObject("execution_error")->getValue<std::string>("node_type"));
    }

    void testBodyLimitFreeAndRange()
    {
        _fake->setMaxBodyBytes(1000);
        CPPUNIT_ASSERT_EQUAL(413, _http->postJson("/prompt", std::string(2000, ' ')).status);
        _fake->setMaxBodyBytes(100ULL * 1024 * 1024);
        CPPUNIT_ASSERT_EQUAL(200, _http->postJson("/api/free", R"({"unload_models":true})").status);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), _fake->freeCalls());
        CPPUNIT_ASSERT_EQUAL(500, _http->postJson("/free", "{").status);

        _fake->addOutput("", "digits.txt", "0123456789");
        HttpResult part = _http->get("/view?filename=digits.txt", {{"Range", "bytes=2-4"}});
        CPPUNIT_ASSERT_EQUAL(206, part.status);
        CPPUNIT_ASSERT_EQUAL(std::string("234"), part.body);
        CPPUNIT_ASSERT_EQUAL(std::string("bytes 2-4/10"), part.header("Content-Range"));
        CPPUNIT_ASSERT_EQUAL(std::string("789"), _http->get("/view?filename=digits.txt", {{"Range", "bytes=-3"}}).body);
        CPPUNIT_ASSERT_EQUAL(416, _http->get("/view?filename=digits.txt", {{"Range", "bytes=20-"}}).status);
        HttpResult head = _http->request("HEAD", "/view?filename=digits.txt");
        CPPUNIT_ASSERT_EQUAL(std::string("10"), head.header("Content-Length"));
    }

    void testSettingsMetadataAndLogs()
    {
        _fake->addUser("bob_2", "bob");
        const std::map<std::string, std::string> bob{{"comfy-user", "bob_2"}};
        CPPUNIT_ASSERT_EQUAL(std::string("{}"), _http->get("/api/settings", bob).body);
        CPPUNIT_ASSERT_EQUAL(200, _http->request("POST", "/api/settings/Comfy.Theme", "\"dark\"", bob).status);
        CPPUNIT_ASSERT_EQUAL(std::string("\"dark\""), _http->get("/settings/Comfy.Theme", bob).body);
        CPPUNIT_ASSERT_EQUAL(std::string("null"), _http->get("/settings/Other", bob).body);
        CPPUNIT_ASSERT_EQUAL(401, _http->get("/settings", {{"comfy-user", "nobody"}}).status);
        CPPUNIT_ASSERT(_http->get("/users").json()->getObject("users")->has("bob_2"));
        HttpResult created = _http->postJson("/users", R"({"username":"Carol Smith"})");
        CPPUNIT_ASSERT_EQUAL(0, static_cast<int>(created.body.find("\"Carol-Smith_")));
        CPPUNIT_ASSERT_EQUAL(400, _http->postJson("/users", R"({"username":"Carol Smith"})").status);

        const std::string header = R"({"__metadata__":{"ss_base_model":"sdxl"}})";
        std::string file;
        for (int i = 0; i < 8; ++i) file += static_cast<char>((header.size() >> (8 * i)) & 0xff);
        _fake->addModel("loras", "meta.safetensors", file + header);
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"ss_base_model":"sdxl"})"),
                             _http->get("/view_metadata/loras?filename=meta.safetensors").body);
        CPPUNIT_ASSERT_EQUAL(404, _http->get("/view_metadata/loras?filename=style/detail.safetensors").status);

        WsClient ws(_fake->port(), "logger");
        ws.next();
        CPPUNIT_ASSERT_EQUAL(404, _http->request("PATCH", "/api/internal/logs/subscribe", R"({"clientId":"logger","enabled":true})").status);
        CPPUNIT_ASSERT_EQUAL(200, _http->request("PATCH", "/internal/logs/subscribe", R"({"clientId":"logger","enabled":true})").status);
        _http->postJson("/prompt", R"({"prompt":{"1":{"class_type":"Nope","inputs":{}}}})");
        WsClient::Frame logs = ws.next();
        CPPUNIT_ASSERT_EQUAL(std::string("logs"), logs.type);
        CPPUNIT_ASSERT(logs.data->getArray("entries")->getObject(0)->getValue<std::string>("m").find("invalid prompt") == 0);
        CPPUNIT_ASSERT(_http->get("/internal/logs").body.find("invalid prompt") != std::string::npos);
    }

    void testTestHooks()
    {
        _http->get("/queue", {{"comfy-user", "u1"}});
        CPPUNIT_ASSERT_EQUAL(200, _http->postJson("/__fake/config", R"({"failing":true,"delay_ms":0})").status);
        CPPUNIT_ASSERT_EQUAL(500, _http->get("/queue").status);
        Array::Ptr requests = parse(_http->get("/__fake/requests").body).extract<Array::Ptr>();
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), requests->size()); // hooks are not recorded
        CPPUNIT_ASSERT_EQUAL(std::string("/queue"), requests->getObject(0)->getValue<std::string>("uri"));
        CPPUNIT_ASSERT(requests->getObject(0)->getArray("headers")->size() >= 2);
        CPPUNIT_ASSERT_EQUAL(200, _http->postJson("/__fake/reset", "").status);
        CPPUNIT_ASSERT_EQUAL(200, _http->get("/queue").status);
        WsClient ws(_fake->port(), "hooked");
        ws.next();
        Object::Ptr sockets = _http->get("/__fake/sockets").json();
        CPPUNIT_ASSERT_EQUAL(std::string("hooked"), sockets->getArray("sids")->getElement<std::string>(0));
        CPPUNIT_ASSERT_EQUAL(404, _http->get("/api/__fake/sockets").status);
    }

    void testRestartOnSamePort()
    {
        const unsigned port = _fake->port();
        const std::string id = submit(R"({"prompt":)" + workflow() + "}");
        waitForHistory(id);
        _fake->stop();
        CPPUNIT_ASSERT_THROW(_http->get("/queue"), Poco::Net::NetException);
        _fake->start(port);
        CPPUNIT_ASSERT_EQUAL(port, _fake->port());
        CPPUNIT_ASSERT(_http->get("/history").json()->has(id));
        CPPUNIT_ASSERT_EQUAL(std::string("http://127.0.0.1:") + std::to_string(port), _fake->url());
    }

private:
    std::unique_ptr<TempDir> _dir;
    std::unique_ptr<FakeComfyUI> _fake;
    std::unique_ptr<HttpTestClient> _http;
};

CPPUNIT_TEST_SUITE_REGISTRATION(FakeComfyTest);
