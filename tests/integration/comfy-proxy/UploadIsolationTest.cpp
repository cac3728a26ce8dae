// Uploads through the gateway land in the uploader's own input folder, cannot touch another
// user's files, and workflows may only name the caller's own uploads and outputs.
#include "ComfyGateway.h"

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/File.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Random.h>

using comfygate::fakes::FakeComfyUI;
using comfygate::test::Headers;
using comfygate::test::HttpResult;
using comfygate::test::readFile;
using comfygate::test::TestGraph;

namespace {

const std::string boundary = "----test-boundary-7d3f";

std::string randomBytes(std::size_t size, int seed)
{
    Poco::Random random;
    random.seed(seed);
    std::string bytes(size, '\0');
    for (auto& c : bytes)
        c = static_cast<char>(random.next(256));
    return bytes;
}

/// A multipart upload form: the `image` file and text fields.
std::string form(const std::string& fileName, const std::string& content,
                 const std::vector<std::pair<std::string, std::string>>& fields)
{
    std::string body;
    body += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"image\"; filename=\"" + fileName +
            "\"\r\nContent-Type: image/png\r\n\r\n" + content + "\r\n";
    for (const auto& [name, value] : fields)
        body += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + value + "\r\n";
    return body + "--" + boundary + "--\r\n";
}

std::string loadImageGraph(const std::string& image)
{
    return R"({"1":{"class_type":"LoadImage","inputs":{"image":")" + image +
           R"("}},)"
           R"("2":{"class_type":"PreviewImage","inputs":{"images":["1",0]}}})";
}

} // namespace

class UploadIsolationTest : public comfygate::test::ComfyGatewayTest
{
    CPPUNIT_TEST_SUITE(UploadIsolationTest);
    CPPUNIT_TEST(uploadLandsInTheUsersOwnFolder);
    CPPUNIT_TEST(nobodyWritesOutsideTheirOwnFolder);
    CPPUNIT_TEST(uploadsAreViewableOnlyByTheUploader);
    CPPUNIT_TEST(maskOriginalMustBeReadableByTheCaller);
    CPPUNIT_TEST(workflowMayNameOnlyYourOwnFiles);
    CPPUNIT_TEST(largeUploadStreamsAndTheLimitHolds);
    CPPUNIT_TEST(sharedModeKeepsTheClientsSubfolder);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override
    {
        _comfy->setExecutionTime(std::chrono::milliseconds(30));
        _comfy->setPreviewFrames(0);
        startGateway({{"comfy.max_upload_mb", "16"}});
    }

    void uploadLandsInTheUsersOwnFolder()
    {
        const std::string png = FakeComfyUI::pngWithText(4, 4, {});
        auto result = upload("/upload/image", alice, form("cat.png", png, {{"subfolder", "pets"}}));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(result.body, 200, result.status);
        const auto answer = result.json();
        CPPUNIT_ASSERT_EQUAL(std::string("cat.png"), answer->getValue<std::string>("name"));
        CPPUNIT_ASSERT_EQUAL(std::string("alice/pets"), answer->getValue<std::string>("subfolder"));
        CPPUNIT_ASSERT_EQUAL(std::string("input"), answer->getValue<std::string>("type"));
        CPPUNIT_ASSERT(readFile(_comfy->inputDir() + "/alice/pets/cat.png") == png);
        // What ComfyUI received: the rewritten form.
        const auto forwarded = _comfy->requests().back();
        CPPUNIT_ASSERT_EQUAL(std::string("/upload/image"), forwarded.uri);
        CPPUNIT_ASSERT(forwarded.body.find("name=\"subfolder\"\r\n\r\nalice/pets\r\n") != std::string::npos);
        // Sending the echoed subfolder back (the frontend does) does not nest it again; the /api twin works.
        auto again =
            upload("/api/upload/image", alice, form("dog.png", png, {{"subfolder", "alice/pets"}, {"type", "temp"}}));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(again.body, 200, again.status);
        CPPUNIT_ASSERT_EQUAL(std::string("alice/pets"), again.json()->getValue<std::string>("subfolder"));
        CPPUNIT_ASSERT(Poco::File(_comfy->tempDir() + "/alice/pets/dog.png").exists());
        CPPUNIT_ASSERT_EQUAL(403, upload("/upload/image", guest, form("g.png", png, {})).status); // no can_upload
    }

    void nobodyWritesOutsideTheirOwnFolder()
    {
        const std::string original = FakeComfyUI::pngWithText(4, 4, {{"owner", "alice"}});
        CPPUNIT_ASSERT_EQUAL(200,
                             upload("/upload/image", alice, form("cat.png", original, {{"subfolder", "pets"}})).status);
        const std::string forged = FakeComfyUI::pngWithText(4, 4, {{"owner", "bob"}});
        for (const auto& subfolder : {"../alice/pets", "/alice/pets", "pets/../../alice/pets", "a\\..\\b"})
            CPPUNIT_ASSERT_EQUAL_MESSAGE(
                subfolder, 400,
                upload("/upload/image", bob, form("cat.png", forged, {{"subfolder", subfolder}, {"overwrite", "true"}}))
                    .status);
        CPPUNIT_ASSERT_EQUAL(
            400, upload("/upload/image", bob, form("../alice/pets/cat.png", forged, {{"overwrite", "true"}})).status);
        CPPUNIT_ASSERT_EQUAL(400, upload("/upload/image", bob, form("cat.png", forged, {{"type", "output"}})).status);
        CPPUNIT_ASSERT_EQUAL(400, upload("/upload/image", bob, form("cat.png", forged, {{"type", "models"}})).status);
        // Naming alice's folder only reaches bob's own copy of that name.
        auto own =
            upload("/upload/image", bob, form("cat.png", forged, {{"subfolder", "alice/pets"}, {"overwrite", "true"}}));
        CPPUNIT_ASSERT_EQUAL(200, own.status);
        CPPUNIT_ASSERT_EQUAL(std::string("bob/alice/pets"), own.json()->getValue<std::string>("subfolder"));
        CPPUNIT_ASSERT(readFile(_comfy->inputDir() + "/alice/pets/cat.png") == original);
        // Not multipart, or no image: 400.
        CPPUNIT_ASSERT_EQUAL(400, _client->postJson("/upload/image", "{}", bob).status);
        CPPUNIT_ASSERT_EQUAL(400, upload("/upload/image", bob, "--" + boundary + "--\r\n").status);
        CPPUNIT_ASSERT_EQUAL(400, upload("/upload/image", bob, form("cat.png", forged, {}).substr(0, 100)).status);
    }

    void uploadsAreViewableOnlyByTheUploader()
    {
        const std::string png = FakeComfyUI::pngWithText(4, 4, {});
        CPPUNIT_ASSERT_EQUAL(200, upload("/upload/image", alice, form("cat.png", png, {{"subfolder", "pets"}})).status);
        const std::string uri = "/view?filename=cat.png&subfolder=alice%2Fpets&type=input";
        const auto mine = _client->get(uri, alice);
        CPPUNIT_ASSERT_EQUAL(200, mine.status);
        CPPUNIT_ASSERT(mine.body == png);
        CPPUNIT_ASSERT_EQUAL(404, _client->get(uri, bob).status);
        CPPUNIT_ASSERT_EQUAL(
            404, _client->get("/view?filename=" + std::string("alice%2Fpets%2Fcat.png%20[input]"), bob).status);
        // A shared input (the root of input/) is nobody's own.
        _comfy->addInput("shared.png", png);
        CPPUNIT_ASSERT_EQUAL(404, _client->get("/view?filename=shared.png&type=input", alice).status);
    }

    void maskOriginalMustBeReadableByTheCaller()
    {
        const std::string png = FakeComfyUI::pngWithText(4, 4, {});
        CPPUNIT_ASSERT_EQUAL(200, upload("/upload/image", alice, form("cat.png", png, {{"subfolder", "pets"}})).status);
        const std::string aliceRef = R"({"filename":"cat.png","subfolder":"alice/pets","type":"input"})";
        auto stolen = upload("/upload/mask", bob, form("mask.png", png, {{"original_ref", aliceRef}}));
        CPPUNIT_ASSERT_EQUAL(404, stolen.status);
        CPPUNIT_ASSERT(!Poco::File(_comfy->inputDir() + "/bob/mask.png").exists());
        CPPUNIT_ASSERT_EQUAL(400,
                             upload("/upload/mask", bob, form("mask.png", png, {{"original_ref", "not json"}})).status);
        CPPUNIT_ASSERT_EQUAL(
            400, upload("/upload/mask", bob,
                        form("mask.png", png, {{"original_ref", R"({"filename":"../alice/pets/cat.png"})"}}))
                     .status);
        CPPUNIT_ASSERT_EQUAL(400, upload("/upload/mask", bob, form("mask.png", png, {})).status);
        auto own =
            upload("/upload/mask", alice, form("mask.png", png, {{"original_ref", aliceRef}, {"subfolder", "pets"}}));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(own.body, 200, own.status);
        CPPUNIT_ASSERT(Poco::File(_comfy->inputDir() + "/alice/pets/mask.png").exists());
    }

    void workflowMayNameOnlyYourOwnFiles()
    {
        const std::string png = FakeComfyUI::pngWithText(4, 4, {});
        CPPUNIT_ASSERT_EQUAL(200, upload("/upload/image", alice, form("cat.png", png, {{"subfolder", "pets"}})).status);
        const auto aliceOutput = waitForImage(alice, submit(alice, TestGraph{}.json()));
        const std::string outputRef = aliceOutput->getValue<std::string>("subfolder") + "/" +
                                      aliceOutput->getValue<std::string>("filename") + " [output]";

        for (const auto& image :
             {std::string("alice/pets/cat.png"), std::string("cat.png"), std::string("alice/pets/cat.png [input]"),
              outputRef, std::string("bob/../alice/pets/cat.png")}) {
            auto refused = _client->postJson("/prompt", "{\"prompt\":" + loadImageGraph(image) + "}", bob);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(image, 403, refused.status);
            const auto error = refused.json()->getObject("error");
            CPPUNIT_ASSERT_EQUAL(std::string("file_not_allowed"), error->getValue<std::string>("type"));
            CPPUNIT_ASSERT_MESSAGE(error->getValue<std::string>("message"),
                                   error->getValue<std::string>("message").find("node 1 (LoadImage), input 'image'") !=
                                       std::string::npos);
            CPPUNIT_ASSERT(refused.json()->has("node_errors"));
        }
        // The owner may use both: the gateway lets them through to ComfyUI's own validation.
        for (const auto& image : {std::string("alice/pets/cat.png"), outputRef}) {
            auto allowed = _client->postJson("/prompt", "{\"prompt\":" + loadImageGraph(image) + "}", alice);
            CPPUNIT_ASSERT_MESSAGE(image + ": " + allowed.body, allowed.status != 403);
        }
    }

    void largeUploadStreamsAndTheLimitHolds()
    {
        const std::string big = randomBytes(12 * 1024 * 1024, 7);
        auto result = upload("/upload/image", alice, form("big.png", big, {}));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(result.body, 200, result.status);
        CPPUNIT_ASSERT(readFile(_comfy->inputDir() + "/alice/big.png") == big);
        // Over comfy.max_upload_mb (16): refused from the declared length, before any byte is read
        // (the body is not even sent, so the closed connection cannot cut the client's write short).
        const std::size_t forwarded = _comfy->requests().size();
        Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(_server->port()));
        Poco::Net::HTTPRequest request("POST", "/upload/image", Poco::Net::HTTPMessage::HTTP_1_1);
        request.set("Authorization", alice.at("Authorization"));
        request.setContentType("multipart/form-data; boundary=" + boundary);
        request.setContentLength64(17 * 1024 * 1024);
        session.sendRequest(request);
        Poco::Net::HTTPResponse response;
        session.receiveResponse(response);
        CPPUNIT_ASSERT_EQUAL(413, static_cast<int>(response.getStatus()));
        CPPUNIT_ASSERT_EQUAL(forwarded, _comfy->requests().size());
        // Nothing is left behind in the staging folder.
        std::vector<std::string> staged;
        Poco::File staging(_server->dataDir() + "/comfy-uploads");
        if (staging.exists())
            staging.list(staged);
        CPPUNIT_ASSERT(staged.empty());
    }

    void sharedModeKeepsTheClientsSubfolder()
    {
        startGateway({{"comfy.separate_users", "false"}});
        const std::string png = FakeComfyUI::pngWithText(4, 4, {});
        auto result = upload("/upload/image", alice, form("cat.png", png, {{"subfolder", "pets//"}}));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(result.body, 200, result.status);
        CPPUNIT_ASSERT_EQUAL(std::string("pets"), result.json()->getValue<std::string>("subfolder"));
        CPPUNIT_ASSERT_EQUAL(200, _client->get("/view?filename=cat.png&subfolder=pets&type=input", bob).status);
        CPPUNIT_ASSERT_EQUAL(400, upload("/upload/image", alice, form("cat.png", png, {{"subfolder", "../x"}})).status);
    }

private:
    HttpResult upload(const std::string& path, const Headers& who, const std::string& body)
    {
        Headers headers = who;
        headers["Content-Type"] = "multipart/form-data; boundary=" + boundary;
        return _client->request("POST", path, body, headers);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(UploadIsolationTest);
