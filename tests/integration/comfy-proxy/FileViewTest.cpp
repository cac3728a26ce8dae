// GET /view through the gateway: each user reads only their own outputs, previews and
// uploads (another user's file looks exactly like a missing one), and the `view` policy
// hook blocks NSFW-tagged images and prompts with blocked terms for users with sfw_check.
#include "ComfyGateway.h"

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>
#include <Poco/DigestEngine.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Random.h>
#include <Poco/SHA1Engine.h>

#include <fstream>
#include <sstream>

using comfygate::test::encodeQueryValue;
using comfygate::test::Headers;
using comfygate::test::HttpTestClient;
using comfygate::test::readFile;
using comfygate::test::TestGraph;
using comfygate::test::viewUri;
using namespace Poco::Data::Keywords;

namespace {

const Headers aliceNoSfw{{"Authorization", "Bearer fixture:alice:user:nosfw"}};
const Headers adminNoSfw{{"Authorization", "Bearer fixture:ada:admin:nosfw"}};

long residentKb(pid_t pid)
{
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind("VmRSS:", 0) == 0)
            return std::stol(line.substr(6));
    return -1;
}

} // namespace

class FileViewTest : public comfygate::test::ComfyGatewayTest
{
    CPPUNIT_TEST_SUITE(FileViewTest);
    CPPUNIT_TEST(ownOutputIsServedOthersGetWhatAMissingFileGets);
    CPPUNIT_TEST(previewInTempIsServedOnlyToThePromptsOwner);
    CPPUNIT_TEST(annotatedNamesAreCheckedLikeComfyUIResolvesThem);
    CPPUNIT_TEST(traversalAndBadReferencesAre400);
    CPPUNIT_TEST(rangeRequestsPassThrough);
    CPPUNIT_TEST(markedNsfwImageIsBlockedForSfwUsersOnly);
    CPPUNIT_TEST(markNsfwIsForAdminsAndValidatesItsInput);
    CPPUNIT_TEST(nsfwTagsAreListedForAdmins);
    CPPUNIT_TEST(blockedTermInThePositivePromptBlocksTheImage);
    CPPUNIT_TEST(largeFileStreamsWithFlatMemory);
    CPPUNIT_TEST(largePngIsWholeAfterItsTextWasRead);
    CPPUNIT_TEST(sfwCheckComesFromTheUserDirectory);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override
    {
        _comfy->setExecutionTime(std::chrono::milliseconds(30));
        _comfy->setPreviewFrames(0);
        startGateway({{"policy.settings.nsfw_terms", "dragon, nude"}});
    }

    void ownOutputIsServedOthersGetWhatAMissingFileGets()
    {
        const auto image = aliceImage(TestGraph{});
        CPPUNIT_ASSERT_EQUAL(std::string("alice"), image->getValue<std::string>("subfolder"));
        const auto mine = _client->get(viewUri(image), alice);
        CPPUNIT_ASSERT_EQUAL(200, mine.status);
        CPPUNIT_ASSERT(mine.body ==
                       readFile(_comfy->outputDir() + "/alice/" + image->getValue<std::string>("filename")));
        CPPUNIT_ASSERT_EQUAL(std::string("image/png"), mine.header("content-type"));
        CPPUNIT_ASSERT_EQUAL(200, _client->get("/api" + viewUri(image), alice).status);

        const auto theirs = _client->get(viewUri(image), bob);
        const auto missing = _client->get("/view?filename=nothing_here.png&subfolder=alice&type=output", bob);
        CPPUNIT_ASSERT_EQUAL(404, theirs.status);
        CPPUNIT_ASSERT_EQUAL(missing.status, theirs.status);
        CPPUNIT_ASSERT_EQUAL(missing.body, theirs.body);
        for (const auto& [name, value] : missing.headers)
            if (name != "date" && name != "x-request-id")
                CPPUNIT_ASSERT_EQUAL_MESSAGE(name, value, theirs.header(name));
        CPPUNIT_ASSERT_EQUAL(missing.headers.size(), theirs.headers.size());
        CPPUNIT_ASSERT(theirs.body.empty());
        // Without the subfolder, ComfyUI would look in the output root: bob still sees nothing.
        CPPUNIT_ASSERT_EQUAL(404,
                             _client->get("/view?filename=" + image->getValue<std::string>("filename"), bob).status);
        CPPUNIT_ASSERT_EQUAL(200, _client->get(viewUri(image), admin).status); // can_view_all_comfyui_items
        CPPUNIT_ASSERT_EQUAL(401, _client->get(viewUri(image)).status);
    }

    void previewInTempIsServedOnlyToThePromptsOwner()
    {
        TestGraph graph;
        graph.preview = true;
        const auto image = aliceImage(graph);
        CPPUNIT_ASSERT_EQUAL(std::string("temp"), image->getValue<std::string>("type"));
        CPPUNIT_ASSERT_EQUAL(std::string(""), image->getValue<std::string>("subfolder")); // the shared temp root
        // bob asks first: his own prompts do not list it; then alice, whose prompt does.
        CPPUNIT_ASSERT_EQUAL(404, _client->get(viewUri(image), bob).status);
        CPPUNIT_ASSERT_EQUAL(200, _client->get(viewUri(image), alice).status);
        CPPUNIT_ASSERT_EQUAL(404, _client->get(viewUri(image), bob).status);
    }

    void annotatedNamesAreCheckedLikeComfyUIResolvesThem()
    {
        TestGraph graph;
        graph.preview = true;
        const auto image = aliceImage(graph);
        const std::string annotated =
            "/view?filename=" + encodeQueryValue(image->getValue<std::string>("filename") + " [temp]");
        CPPUNIT_ASSERT_EQUAL(200, _client->get(annotated, alice).status);
        CPPUNIT_ASSERT_EQUAL(404, _client->get(annotated, bob).status);
        // The suffix wins over type=, as in ComfyUI: type=output would not find it.
        CPPUNIT_ASSERT_EQUAL(200, _client->get(annotated + "&type=output", alice).status);
        // A path in the name is ignored by ComfyUI (only the last element is served).
        const std::string pathInName =
            "/view?filename=" + encodeQueryValue("bob/" + image->getValue<std::string>("filename") + " [temp]");
        CPPUNIT_ASSERT_EQUAL(200, _client->get(pathInName, alice).status);
    }

    void traversalAndBadReferencesAre400()
    {
        _comfy->addOutput("bob", "secret.png", "not for alice");
        for (const char* uri :
             {"/view?filename=..%2Fbob%2Fsecret.png", "/view?filename=secret.png&subfolder=..%2Fbob",
              "/view?filename=secret.png&subfolder=alice%2F..%2F..%2Fbob", "/view?filename=%2Fetc%2Fpasswd",
              "/view?filename=secret.png&subfolder=%2Fbob", "/view?filename=secret.png&subfolder=bob%5C..",
              "/view?filename=a%00.png", "/view?filename=secret.png&type=models",
              "/view?filename=", "/view?filename=%20[output]"}) {
            const auto result = _client->get(uri, alice);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(uri, 400, result.status);
            CPPUNIT_ASSERT(result.body.empty());
        }
        CPPUNIT_ASSERT_EQUAL(404, _client->get("/view", alice).status); // no filename: like ComfyUI
        CPPUNIT_ASSERT_EQUAL(404, _client->get("/view?filename=secret.png&subfolder=bob", alice).status);
        CPPUNIT_ASSERT_EQUAL(200, _client->get("/view?filename=secret.png&subfolder=bob", bob).status);
    }

    void rangeRequestsPassThrough()
    {
        const auto image = aliceImage(TestGraph{});
        const std::string whole = readFile(_comfy->outputDir() + "/alice/" + image->getValue<std::string>("filename"));
        const auto part = _client->request("GET", viewUri(image), {},
                                           {{"Authorization", alice.at("Authorization")}, {"Range", "bytes=4-11"}});
        CPPUNIT_ASSERT_EQUAL(206, part.status);
        CPPUNIT_ASSERT_EQUAL(whole.substr(4, 8), part.body);
        CPPUNIT_ASSERT_EQUAL("bytes 4-11/" + std::to_string(whole.size()), part.header("content-range"));
    }

    void markedNsfwImageIsBlockedForSfwUsersOnly()
    {
        const auto image = aliceImage(TestGraph{});
        CPPUNIT_ASSERT_EQUAL(200, _client->get(viewUri(image), alice).status);
        auto marked = markNsfw(image, true, admin);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(marked.body, 200, marked.status);
        const auto answer = marked.json();
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), answer->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(image->getValue<std::string>("filename"), answer->getValue<std::string>("filename"));
        CPPUNIT_ASSERT(answer->getValue<bool>("is_nsfw"));
        CPPUNIT_ASSERT(answer->has("message"));

        const auto blocked = _client->get(viewUri(image), alice);
        CPPUNIT_ASSERT_EQUAL(403, blocked.status);
        CPPUNIT_ASSERT_EQUAL(0ul, blocked.body.find("NSFW content blocked for this user."));
        CPPUNIT_ASSERT(blocked.body.find("tagged NSFW") != std::string::npos);
        // A range or a re-encoded preview is the same image.
        CPPUNIT_ASSERT_EQUAL(403, _client
                                      ->request("GET", viewUri(image), {},
                                                {{"Authorization", alice.at("Authorization")}, {"Range", "bytes=100-"}})
                                      .status);
        CPPUNIT_ASSERT_EQUAL(403, _client->get(viewUri(image) + "&preview=webp", alice).status);
        CPPUNIT_ASSERT_EQUAL(200, _client->get(viewUri(image), aliceNoSfw).status);
        CPPUNIT_ASSERT_EQUAL(200, _client->get(viewUri(image), adminNoSfw).status);
        // The tag is the server's: the file itself is unchanged, and unmarking lifts the block.
        CPPUNIT_ASSERT_EQUAL(200, markNsfw(image, false, admin).status);
        CPPUNIT_ASSERT_EQUAL(200, _client->get(viewUri(image), alice).status);
    }

    void markNsfwIsForAdminsAndValidatesItsInput()
    {
        const auto image = aliceImage(TestGraph{});
        CPPUNIT_ASSERT_EQUAL(403, markNsfw(image, true, alice).status);
        CPPUNIT_ASSERT_EQUAL(401, _client->postJson("/mss-login-gallery/mark-nsfw", "{\"filename\":\"x.png\"}").status);
        const auto post = [&](const std::string& body) {
            return _client->postJson("/mss-login-gallery/mark-nsfw", body, admin);
        };
        CPPUNIT_ASSERT_EQUAL(400, post("not json").status);
        CPPUNIT_ASSERT_EQUAL(400, post("{}").status);
        CPPUNIT_ASSERT_EQUAL(400, post(R"({"filename":"a.png","score":"high"})").status);
        CPPUNIT_ASSERT_EQUAL(400, post(R"({"filename":"a.png","is_nsfw":"yes"})").status);
        const auto badPath = post(R"({"filename":"../../etc/passwd"})");
        CPPUNIT_ASSERT_EQUAL(403, badPath.status);
        CPPUNIT_ASSERT(badPath.json()->has("error"));
        CPPUNIT_ASSERT_EQUAL(403, post(R"({"filename":"a.png","subfolder":"../x"})").status);
        CPPUNIT_ASSERT_EQUAL(404, post(R"({"filename":"no_such_image.png","subfolder":"alice"})").status);
        // What was marked is on record, and only that.
        CPPUNIT_ASSERT_EQUAL(200, markNsfw(image, true, admin).status);
        Poco::Data::SQLite::Connector::registerConnector();
        Poco::Data::Session db("SQLite", _server->dataDir() + "/comfygate.db");
        std::vector<std::string> actors, targets, details;
        db << "SELECT actor, target, detail FROM audit_log WHERE action = 'nsfw.mark'", into(actors), into(targets),
            into(details), now;
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), actors.size());
        CPPUNIT_ASSERT_EQUAL(std::string("ada"), actors[0]);
        CPPUNIT_ASSERT_EQUAL("output/alice/" + image->getValue<std::string>("filename"), targets[0]);
        CPPUNIT_ASSERT(details[0].find("\"is_nsfw\":true") != std::string::npos);
    }

    void nsfwTagsAreListedForAdmins()
    {
        const auto flagged = aliceImage(TestGraph{});
        TestGraph other;
        other.positive = "a quiet lake";
        const auto safe = aliceImage(other);
        CPPUNIT_ASSERT_EQUAL(200, markNsfw(flagged, true, admin).status);
        CPPUNIT_ASSERT_EQUAL(200, markNsfw(safe, false, admin).status);

        const auto all = _client->get("/mss-login/api/nsfw-tags", admin);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(all.body, 200, all.status);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), all.json()->getArray("tags")->size());
        const auto only = _client->get("/mss-login/api/nsfw-tags?nsfw_only=true", admin).json()->getArray("tags");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), only->size());
        const auto tag = only->getObject(0);
        CPPUNIT_ASSERT_EQUAL(flagged->getValue<std::string>("filename"), tag->getValue<std::string>("filename"));
        CPPUNIT_ASSERT_EQUAL(std::string("alice"), tag->getValue<std::string>("subfolder"));
        CPPUNIT_ASSERT_EQUAL(std::string("output"), tag->getValue<std::string>("type"));
        CPPUNIT_ASSERT_EQUAL(std::string("ada"), tag->getValue<std::string>("tagged_by"));
        CPPUNIT_ASSERT(tag->getValue<bool>("is_nsfw"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1),
                             _client->get("/mss-login/api/nsfw-tags?limit=1", admin).json()->getArray("tags")->size());

        CPPUNIT_ASSERT_EQUAL(403, _client->get("/mss-login/api/nsfw-tags", alice).status);
        const auto bad = _client->get("/mss-login/api/nsfw-tags?limit=0", admin);
        CPPUNIT_ASSERT_EQUAL(400, bad.status);
        CPPUNIT_ASSERT_EQUAL(std::string("limit"), bad.json()->getValue<std::string>("parameter"));
        CPPUNIT_ASSERT_EQUAL(400, _client->get("/mss-login/api/nsfw-tags?nsfw_only=maybe", admin).status);
    }

    void blockedTermInThePositivePromptBlocksTheImage()
    {
        TestGraph dragon;
        dragon.positive = "a red Dragon over the sea";
        const auto blockedImage = aliceImage(dragon);
        const auto blocked = _client->get(viewUri(blockedImage), alice);
        CPPUNIT_ASSERT_EQUAL(403, blocked.status);
        CPPUNIT_ASSERT(blocked.body.find("'dragon'") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(403, _client
                                      ->request("GET", viewUri(blockedImage), {},
                                                {{"Authorization", alice.at("Authorization")}, {"Range", "bytes=200-"}})
                                      .status);
        CPPUNIT_ASSERT_EQUAL(200, _client->get(viewUri(blockedImage), aliceNoSfw).status);

        // Negative prompts routinely list blocked words: they do not count.
        TestGraph careful;
        careful.negative = "nude, dragon, blurry";
        CPPUNIT_ASSERT_EQUAL(200, _client->get(viewUri(aliceImage(careful)), alice).status);
    }

    void largeFileStreamsWithFlatMemory()
    {
        constexpr std::uint64_t size = 200ull * 1024 * 1024;
        _comfy->addLargeOutput("alice/large.bin", size);
        // Seeded bytes at the start, middle and end of the sparse file, so a wrong copy shows.
        {
            std::fstream file(_comfy->outputDir() + "/alice/large.bin",
                              std::ios::in | std::ios::out | std::ios::binary);
            Poco::Random random;
            random.seed(42);
            std::string block(1024 * 1024, '\0');
            for (const std::uint64_t at : {std::uint64_t(0), size / 2, size - block.size()}) {
                for (auto& c : block)
                    c = static_cast<char>(random.next(256));
                file.seekp(static_cast<std::streamoff>(at));
                file.write(block.data(), static_cast<std::streamsize>(block.size()));
            }
        }
        const std::string expected = sha1OfFile(_comfy->outputDir() + "/alice/large.bin");

        CPPUNIT_ASSERT_EQUAL(404, _client->get("/view?filename=warm-up.png&subfolder=alice", alice).status);
        const long before = residentKb(_server->pid());
        long peak = before;
        Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(_server->port()));
        session.setTimeout(Poco::Timespan(30, 0));
        Poco::Net::HTTPRequest request("GET", "/view?filename=large.bin&subfolder=alice&type=output",
                                       Poco::Net::HTTPMessage::HTTP_1_1);
        request.set("Authorization", alice.at("Authorization"));
        session.sendRequest(request);
        Poco::Net::HTTPResponse response;
        std::istream& body = session.receiveResponse(response);
        CPPUNIT_ASSERT_EQUAL(200, static_cast<int>(response.getStatus()));
        Poco::SHA1Engine sha1;
        std::vector<char> buffer(1024 * 1024);
        std::uint64_t received = 0;
        while (body) {
            body.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
            sha1.update(buffer.data(), static_cast<unsigned>(body.gcount()));
            received += static_cast<std::uint64_t>(body.gcount());
            if (received % (8 * 1024 * 1024) < buffer.size())
                peak = std::max(peak, residentKb(_server->pid()));
        }
        peak = std::max(peak, residentKb(_server->pid()));
        CPPUNIT_ASSERT_EQUAL(size, received);
        CPPUNIT_ASSERT_EQUAL(expected, Poco::DigestEngine::digestToHex(sha1.digest()));
        const long growthKb = peak - before;
        std::cout << "\n  /view of 200 MiB: gateway VmRSS " << before / 1024 << " MiB before, peak growth "
                  << growthKb / 1024.0 << " MiB\n";
        CPPUNIT_ASSERT_MESSAGE("VmRSS grew by " + std::to_string(growthKb) + " KiB", growthKb < 40 * 1024);
    }

    void largePngIsWholeAfterItsTextWasRead()
    {
        // The NSFW check reads the text chunks from the head of the answer; the rest of a file
        // larger than one relay block must follow unchanged, and the upstream connection must
        // serve the next request.
        std::string png = comfygate::fakes::FakeComfyUI::pngWithText(8, 8, {{"prompt", "{}"}});
        Poco::Random random;
        random.seed(7);
        for (int i = 0; i < 3 * 1024 * 1024 + 12345; ++i)
            png += static_cast<char>(random.next(256));
        _comfy->addOutput("alice", "large.png", png);
        for (int i = 0; i < 2; ++i) {
            const auto whole = _client->get("/view?filename=large.png&subfolder=alice&type=output", alice);
            CPPUNIT_ASSERT_EQUAL(200, whole.status);
            CPPUNIT_ASSERT(png == whole.body);
            Headers ranged = alice;
            ranged["Range"] = "bytes=100-";
            const auto tail = _client->get("/view?filename=large.png&subfolder=alice&type=output", ranged);
            CPPUNIT_ASSERT_EQUAL(206, tail.status);
            CPPUNIT_ASSERT(png.substr(100) == tail.body);
        }
        CPPUNIT_ASSERT_EQUAL(200, _client->get("/history", alice).status);
    }

    void sfwCheckComesFromTheUserDirectory()
    {
        // The real auth module: users, sessions and the "auth.users" directory.
        const auto server =
            startServerWithAccounts({{"boss", "owner"}, {"uma", "user"}}, "file-view-test-secret-key-0123456789abcdef");
        HttpTestClient client(server->port());
        const Headers boss = comfygate::test::login(client, "boss", accountPassword);
        const Headers uma = comfygate::test::login(client, "uma", accountPassword);
        const auto image =
            comfygate::test::waitForImage(client, uma, comfygate::test::submitPrompt(client, uma, TestGraph{}.json()));
        Poco::JSON::Object mark;
        mark.set("filename", image->getValue<std::string>("filename"));
        mark.set("subfolder", image->getValue<std::string>("subfolder"));
        std::ostringstream markText;
        mark.stringify(markText);
        CPPUNIT_ASSERT_EQUAL(200, client.postJson("/mss-login-gallery/mark-nsfw", markText.str(), boss).status);
        CPPUNIT_ASSERT_EQUAL(403, client.get(viewUri(image), uma).status);
        // The owner turns uma's sfw_check off: her session sees the image from now on.
        CPPUNIT_ASSERT_EQUAL(200,
                             client.request("PUT", "/mss-login/api/users/uma", "{\"sfw_check\":false}", boss).status);
        CPPUNIT_ASSERT_EQUAL(200, client.get(viewUri(image), uma).status);
    }

private:
    /// Runs the graph as alice and returns its image {filename, subfolder, type}.
    Poco::JSON::Object::Ptr aliceImage(const TestGraph& graph)
    {
        return waitForImage(alice, submit(alice, graph.json()));
    }

    comfygate::test::HttpResult markNsfw(const Poco::JSON::Object::Ptr& image, bool nsfw, const Headers& who)
    {
        Poco::JSON::Object body;
        body.set("filename", image->getValue<std::string>("filename"));
        body.set("subfolder", image->getValue<std::string>("subfolder"));
        body.set("type", image->getValue<std::string>("type"));
        body.set("is_nsfw", nsfw);
        std::ostringstream text;
        body.stringify(text);
        return _client->postJson("/mss-login-gallery/mark-nsfw", text.str(), who);
    }

    static std::string sha1OfFile(const std::string& path)
    {
        std::ifstream in(path, std::ios::binary);
        Poco::SHA1Engine sha1;
        std::vector<char> buffer(1024 * 1024);
        while (in) {
            in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
            sha1.update(buffer.data(), static_cast<unsigned>(in.gcount()));
        }
        return Poco::DigestEngine::digestToHex(sha1.digest());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(FileViewTest);
