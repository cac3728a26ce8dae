// The comfy-proxy policy hooks over real HTTP with the real binary and the fake ComfyUI:
// `upload` refusing by size and type (nothing reaches ComfyUI), `model` refusing a LoRA to a
// group with the model named in ComfyUI's error shape (the shipped model_families.lua), `queue`
// putting a group's prompt at the front (priority.lua; the number ComfyUI gave it), and
// `execution_success` reaching the `event` hook with the prompt's output files while no
// client has a WebSocket open.
#include "ComfyGateway.h"

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/JSON/Parser.h>

#include <chrono>
#include <string>
#include <thread>
#include <utility>
#include <vector>

using comfygate::test::Headers;
using comfygate::test::TempDir;
using comfygate::test::TestGraph;

namespace {

const std::string boundary = "----policy-hooks-boundary";

/// A multipart upload of `content` into the subfolder "pets", with `fields` added.
std::string uploadForm(const std::string& fileName, const std::string& contentType, const std::string& content,
                       const std::vector<std::pair<std::string, std::string>>& fields = {})
{
    std::string body = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"image\"; filename=\"" +
                       fileName + "\"\r\nContent-Type: " + contentType + "\r\n\r\n" + content + "\r\n";
    for (const auto& [name, value] : fields)
        body += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + value + "\r\n";
    return body + "--" + boundary + "\r\nContent-Disposition: form-data; name=\"subfolder\"\r\n\r\npets\r\n--" +
           boundary + "--\r\n";
}

/// The sample graph with a LoRA loader (node 10) naming `lora`.
std::string graphWithLora(const std::string& lora)
{
    std::string graph = TestGraph{}.json();
    graph.pop_back(); // the closing brace
    return graph + R"(,"10":{"class_type":"LoraLoader","inputs":{"lora_name":")" + lora +
           R"(","strength_model":1,"strength_clip":1,"model":["4",0],"clip":["4",1]}}})";
}

const Headers freeUser{{"Authorization", "Bearer fixture:fay:user:groups=free"}};
const Headers payingUser{{"Authorization", "Bearer fixture:pia:user:groups=paying"}};

} // namespace

class PolicyHooksTest : public comfygate::test::ComfyGatewayTest
{
    CPPUNIT_TEST_SUITE(PolicyHooksTest);
    CPPUNIT_TEST(uploadHookRefusesBySizeAndType);
    CPPUNIT_TEST(modelHookRefusesALoraToTheFreeGroup);
    CPPUNIT_TEST(queueHookPutsAListedGroupFirst);
    CPPUNIT_TEST(queueHookSetsTheNumberAndNothingElse);
    CPPUNIT_TEST(finishedPromptReachesTheEventHookWithoutAWebSocket);
    CPPUNIT_TEST(eventSubjectIsTheOwnerAsTheUserDirectoryKnowsThem);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override
    {
        _comfy->setExecutionTime(std::chrono::milliseconds(30));
        _comfy->setPreviewFrames(0);
    }

    void uploadHookRefusesBySizeAndType()
    {
        _policies.write("upload.lua", R"(
policy.on("upload", function(subject, request)
    if request.content_type ~= "image/png" then
        return false, "only PNG images, not " .. request.content_type
    end
    if request.size_bytes > 2000 then
        return false, string.format("%s is %d bytes; the cap is 2000", request.filename, request.size_bytes)
    end
    if request.kind ~= "image" or request.type ~= "input" or request.subfolder ~= subject.user_id .. "/pets" then
        return false, "unexpected request " .. request.kind .. " " .. request.type .. " " .. request.subfolder
    end
end)
)");
        startGateway({{"policy.dir", _policies.path()}});
        const Headers form{{"Content-Type", "multipart/form-data; boundary=" + boundary}};
        auto as = [&](const Headers& user) {
            Headers headers = form;
            headers.insert(user.begin(), user.end());
            return headers;
        };
        const std::string png = comfygate::fakes::FakeComfyUI::pngWithText(4, 4, {});

        auto big = _client->request("POST", "/upload/image", uploadForm("big.png", "image/png", std::string(5000, 'x')),
                                    as(alice));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(big.body, 403, big.status);
        CPPUNIT_ASSERT_EQUAL(std::string("big.png is 5000 bytes; the cap is 2000"),
                             big.json()->getValue<std::string>("error"));

        auto gif = _client->request("POST", "/api/upload/image", uploadForm("cat.gif", "image/gif", "GIF89a"), as(alice));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(gif.body, 403, gif.status);
        CPPUNIT_ASSERT_EQUAL(std::string("only PNG images, not image/gif"), gif.json()->getValue<std::string>("error"));

        // Nothing refused reached ComfyUI; an allowed upload does.
        for (const auto& request : _comfy->requests())
            CPPUNIT_ASSERT(request.uri.find("/upload/") == std::string::npos);
        auto ok = _client->request("POST", "/upload/image", uploadForm("cat.png", "image/png", png), as(alice));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(ok.body, 200, ok.status);
        CPPUNIT_ASSERT_EQUAL(std::string("alice/pets"), ok.json()->getValue<std::string>("subfolder"));

        // A mask for that image is asked about as kind "mask" (which this script refuses).
        auto mask = _client->request(
            "POST", "/api/upload/mask",
            uploadForm("cat-mask.png", "image/png", png,
                       {{"original_ref", R"({"filename":"cat.png","subfolder":"alice/pets","type":"input"})"}}),
            as(alice));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(mask.body, 403, mask.status);
        CPPUNIT_ASSERT_EQUAL(std::string("unexpected request mask input alice/pets"),
                             mask.json()->getValue<std::string>("error"));
    }

    void modelHookRefusesALoraToTheFreeGroup()
    {
        _comfy->addModel("loras", "video/wan-motion.safetensors");
        _comfy->addModel("loras", "detail.safetensors");
        // The shipped scripts/policy/model_families.lua, switched on by its setting.
        startGateway({{"policy.settings.model_deny_free", "loras/video/*, diffusion_models/*"}});

        auto refused = _client->postJson("/prompt", "{\"prompt\":" + graphWithLora("video/wan-motion.safetensors") + "}",
                                         freeUser);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(refused.body, 403, refused.status);
        const auto error = refused.json()->getObject("error");
        CPPUNIT_ASSERT_EQUAL(std::string("model_denied"), error->getValue<std::string>("type"));
        const std::string message = error->getValue<std::string>("message");
        CPPUNIT_ASSERT_MESSAGE(message, message.find("loras/video/wan-motion.safetensors") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(message, message.find("node 10") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(message, message.find("not available to the free group") != std::string::npos);
        CPPUNIT_ASSERT(refused.json()->getObject("node_errors"));
        for (const auto& request : _comfy->requests())
            CPPUNIT_ASSERT(!(request.method == "POST" && request.uri == "/prompt"));

        // Another LoRA for the same group, and the same LoRA for a user outside it, run.
        CPPUNIT_ASSERT_EQUAL(200, _client->postJson("/prompt", "{\"prompt\":" + graphWithLora("detail.safetensors") + "}",
                                                    freeUser).status);
        CPPUNIT_ASSERT_EQUAL(200, _client->postJson("/prompt",
                                                    "{\"prompt\":" + graphWithLora("video/wan-motion.safetensors") + "}",
                                                    alice).status);
    }

    void queueHookPutsAListedGroupFirst()
    {
        // The shipped scripts/policy/priority.lua, switched on by its setting.
        startGateway({{"policy.settings.priority_front", "paying"}});
        auto ordinary = _client->postJson("/prompt", "{\"prompt\":" + TestGraph{}.json() + "}", alice);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(ordinary.body, 200, ordinary.status);
        auto first = _client->postJson("/prompt", "{\"prompt\":" + TestGraph{}.json() + "}", payingUser);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(first.body, 200, first.status);
        // ComfyUI numbers a prompt sent with front=true below every other (negative).
        CPPUNIT_ASSERT(ordinary.json()->getValue<Poco::Int64>("number") >= 0);
        CPPUNIT_ASSERT(first.json()->getValue<Poco::Int64>("number") < 0);

        std::vector<Poco::JSON::Object::Ptr> sent;
        for (const auto& request : _comfy->requests())
            if (request.method == "POST" && request.uri == "/prompt")
                sent.push_back(Poco::JSON::Parser().parse(request.body).extract<Poco::JSON::Object::Ptr>());
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), sent.size());
        CPPUNIT_ASSERT(!sent[0]->has("front"));
        CPPUNIT_ASSERT_EQUAL(true, sent[1]->getValue<bool>("front"));
    }

    void queueHookSetsTheNumberAndNothingElse()
    {
        _policies.write("queue.lua", R"(
policy.on("queue", function(subject, request)
    assert(request.workflow_nodes == 7 and request.client_id == "tab-9" and request.front == false)
    request.number = 4242
    request.client_id = "someone-else"
    return request
end)
)");
        startGateway({{"policy.dir", _policies.path()}});
        auto answer =
            _client->postJson("/prompt", "{\"prompt\":" + TestGraph{}.json() + ",\"client_id\":\"tab-9\"}", alice);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(answer.body, 200, answer.status);
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(4242), answer.json()->getValue<Poco::Int64>("number"));
        for (const auto& request : _comfy->requests()) {
            if (request.method != "POST" || request.uri != "/prompt")
                continue;
            const auto sent = Poco::JSON::Parser().parse(request.body).extract<Poco::JSON::Object::Ptr>();
            CPPUNIT_ASSERT_EQUAL(Poco::Int64(4242), sent->getValue<Poco::Int64>("number"));
            // The client_id sent upstream is still the gateway's own sid.
            CPPUNIT_ASSERT_EQUAL(std::string("comfygate-"), sent->getValue<std::string>("client_id").substr(0, 10));
        }
        CPPUNIT_ASSERT_MESSAGE(_server->stderrText(), waitForLog("the queue policy changed \"client_id\""));
    }

    void finishedPromptReachesTheEventHookWithoutAWebSocket()
    {
        _policies.write("events.lua", R"(
policy.on("event", function(subject, event)
    if event.type ~= "execution_success" then return end
    local parts = {}
    for _, file in ipairs(event.outputs) do
        parts[#parts + 1] = file.node_id .. ":" .. file.type .. ":" .. file.subfolder .. "/" .. file.filename
    end
    policy.log("finished " .. event.prompt_id .. " of " .. subject.user_id .. " -> " .. table.concat(parts, ","))
end)
)");
        startGateway({{"policy.dir", _policies.path()}});
        const std::string promptId = submit(alice, TestGraph{}.json());
        const auto image = waitForImage(alice, promptId);
        const std::string expected = "finished " + promptId + " of alice -> 9:output:alice/" +
                                     image->getValue<std::string>("filename");
        CPPUNIT_ASSERT_MESSAGE(_server->stderrText(), waitForLog(expected));
        // Once per prompt.
        const std::string log = _server->stderrText();
        CPPUNIT_ASSERT_EQUAL(std::string::npos, log.find(expected, log.find(expected) + 1));
    }

    void eventSubjectIsTheOwnerAsTheUserDirectoryKnowsThem()
    {
        _policies.write("events.lua", R"(
policy.on("event", function(subject, event)
    if event.type == "execution_success" then
        policy.log(string.format("owner of %s: %s role %s sfw_check %s", event.prompt_id, subject.username,
                                 subject.role, tostring(subject.sfw_check)))
    end
end)
)");
        // The real auth module, whose "auth.users" directory names the owner.
        useServer(startServerWithAccounts({{"boss", "owner"}, {"pete", "power"}},
                                          "policy-hooks-test-secret-key-0123456789abcdef", "auth,comfy-proxy",
                                          {{"policy.dir", _policies.path()}}));
        const Headers boss = comfygate::test::login(*_client, "boss", accountPassword);
        const Headers pete = comfygate::test::login(*_client, "pete", accountPassword);
        CPPUNIT_ASSERT_EQUAL(200, _client->request("PUT", "/mss-login/api/users/pete", "{\"sfw_check\":false}", boss).status);
        const std::string promptId = submit(pete, TestGraph{}.json());
        waitForHistory(pete, promptId);
        CPPUNIT_ASSERT_MESSAGE(_server->stderrText(),
                               waitForLog("owner of " + promptId + ": pete role power sfw_check false"));
    }

private:
    /// True once the server's log holds `text` (gives up after 20 s).
    bool waitForLog(const std::string& text)
    {
        for (int i = 0; i < 400; ++i) {
            if (_server->stderrText().find(text) != std::string::npos)
                return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        return false;
    }

    TempDir _policies;
};

CPPUNIT_TEST_SUITE_REGISTRATION(PolicyHooksTest);
