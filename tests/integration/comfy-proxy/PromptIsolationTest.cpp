// Two users share one (fake) ComfyUI through the gateway: each sees only their own prompts,
// queue and history, and every write lands in their own output folder.
#include "ComfyGateway.h"

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/File.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

#include <chrono>
#include <set>
#include <thread>

using comfygate::test::Headers;

namespace {

std::string graph(int steps = 20, const std::string& prefix = "ComfyUI")
{
    return comfygate::test::sampleWorkflow(steps, prefix);
}

} // namespace

class PromptIsolationTest : public comfygate::test::ComfyGatewayTest
{
    CPPUNIT_TEST_SUITE(PromptIsolationTest);
    CPPUNIT_TEST(promptIsRecordedAndOutputLandsInTheUsersFolder);
    CPPUNIT_TEST(comfyUIGetsTheClientsBytesWithTheGatewaysMembers);
    CPPUNIT_TEST(historyShowsOnlyYourOwnPrompts);
    CPPUNIT_TEST(historyEntriesAreComfyUIsOwnBytes);
    CPPUNIT_TEST(queueShowsOnlyYourOwnItemsWithoutApiKeys);
    CPPUNIT_TEST(takenPromptIdIsRefused);
    CPPUNIT_TEST(traversalInFilenamePrefixIsRefused);
    CPPUNIT_TEST(guestWithoutCanRunIsRefused);
    CPPUNIT_TEST(promptPolicyDeniesWithAReason);
    CPPUNIT_TEST(validationErrorsComeBackUnchanged);
    CPPUNIT_TEST(queueClearAndDeleteTouchOnlyYourItems);
    CPPUNIT_TEST(historyClearTouchesOnlyYourItems);
    CPPUNIT_TEST(interruptStopsOnlyYourPrompt);
    CPPUNIT_TEST(jobsShowOnlyYourPrompts);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override
    {
        _comfy->setExecutionTime(std::chrono::milliseconds(50));
        startGateway();
    }

    void promptIsRecordedAndOutputLandsInTheUsersFolder()
    {
        const std::string id = submit(alice, graph(20, "portraits/fox"));
        waitForHistory(alice, id);
        const auto history = _client->get("/history/" + id, alice).json()->getObject(id);
        auto images = history->getObject("outputs")->getObject("9")->getArray("images");
        const auto image = images->getObject(0);
        CPPUNIT_ASSERT_EQUAL(std::string("alice/portraits"), image->getValue<std::string>("subfolder"));
        CPPUNIT_ASSERT(Poco::File(_comfy->outputDir() + "/alice/portraits/" + image->getValue<std::string>("filename")).exists());
    }

    void comfyUIGetsTheClientsBytesWithTheGatewaysMembers()
    {
        // The body goes on as the client wrote it (spacing, number formats, escapes, the UI's
        // extra_data), with only what the gateway sets replaced: the prefix, client_id, prompt_id.
        const std::string extra = R"({"extra_pnginfo": {"workflow": {"nodes": [], "note": "caf\u00e9 \/ 1.50"}}})";
        std::string workflow = graph(20, "portraits");
        const std::string body = "{ \"client_id\" : \"tab-7\",\n \"prompt\": " + workflow +
                                 ", \"extra_data\": " + extra + ", \"number\": 1.50 }";
        _comfy->clearRequests();
        const auto answer = _client->postJson("/prompt", body, alice);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(answer.body, 200, answer.status);
        const std::string promptId = answer.json()->getValue<std::string>("prompt_id");
        std::string sent;
        for (const auto& request : _comfy->requests())
            if (request.method == "POST" && request.uri == "/prompt")
                sent = request.body;
        CPPUNIT_ASSERT_MESSAGE(sent, sent.rfind("{ \"client_id\" : \"", 0) == 0);
        CPPUNIT_ASSERT_MESSAGE(sent, sent.find(", \"extra_data\": " + extra + ", \"number\": 1.50 ") != std::string::npos);
        const auto parsed = Poco::JSON::Parser().parse(sent).extract<Poco::JSON::Object::Ptr>();
        CPPUNIT_ASSERT(parsed->getValue<std::string>("client_id") != "tab-7");
        CPPUNIT_ASSERT_EQUAL(promptId, parsed->getValue<std::string>("prompt_id"));
        const auto prefix = parsed->getObject("prompt")->getObject("9")->getObject("inputs")->getValue<std::string>("filename_prefix");
        CPPUNIT_ASSERT_EQUAL(std::string("alice/portraits"), prefix);
        // Everything but the prefix is the client's graph, byte for byte.
        const std::string asWritten = "\"portraits\"";
        const auto at = workflow.find(asWritten);
        CPPUNIT_ASSERT(at != std::string::npos);
        workflow.replace(at, asWritten.size(), "\"alice/portraits\"");
        CPPUNIT_ASSERT_MESSAGE(sent, sent.find("\"prompt\": " + workflow + ", ") != std::string::npos);
    }

    void historyShowsOnlyYourOwnPrompts()
    {
        const std::string mine = submit(alice, graph());
        const std::string theirs = submit(bob, graph());
        waitForHistory(alice, mine);
        waitForHistory(bob, theirs);
        auto aliceHistory = _client->get("/history", alice).json();
        CPPUNIT_ASSERT(aliceHistory->has(mine));
        CPPUNIT_ASSERT(!aliceHistory->has(theirs));
        CPPUNIT_ASSERT(!_client->get("/api/history", bob).json()->has(mine));
        // Someone else's prompt looks exactly like an unknown one.
        auto peek = _client->get("/history/" + mine, bob);
        CPPUNIT_ASSERT_EQUAL(200, peek.status);
        CPPUNIT_ASSERT_EQUAL(std::string("{}"), peek.body);
        CPPUNIT_ASSERT_EQUAL(std::string("{}"), _client->get("/history/no-such-prompt", bob).body);
        // Admins with can_view_all_comfyui_items see both; paging is over the caller's list.
        auto all = _client->get("/history", admin).json();
        CPPUNIT_ASSERT(all->has(mine) && all->has(theirs));
        auto last = _client->get("/history?max_items=1", alice).json();
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), last->size());
        CPPUNIT_ASSERT(last->has(mine));
    }

    void historyEntriesAreComfyUIsOwnBytes()
    {
        const std::string first = submit(alice, graph());
        const std::string theirs = submit(bob, graph());
        const std::string second = submit(alice, graph());
        for (const auto& [user, id] : {std::pair{&alice, first}, {&bob, theirs}, {&alice, second}})
            waitForHistory(*user, id);
        const auto direct = comfygate::test::HttpTestClient(_comfy->port()).get("/history");
        CPPUNIT_ASSERT_EQUAL(200, direct.status);
        // Everyone's history is ComfyUI's answer as it is, byte for byte.
        CPPUNIT_ASSERT_EQUAL(direct.body, _client->get("/history", admin).body);
        // Alice's is ComfyUI's entries of her prompts, in ComfyUI's order, each unchanged.
        auto ordered = [](const std::string& body) {
            Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true));
            return parser.parse(body).extract<Poco::JSON::Object::Ptr>();
        };
        const auto all = ordered(direct.body);
        const auto mine = _client->get("/history", alice);
        CPPUNIT_ASSERT_EQUAL(200, mine.status);
        std::vector<std::string> expectedIds;
        for (const auto& id : all->getNames())
            if (id == first || id == second)
                expectedIds.push_back(id);
        CPPUNIT_ASSERT(expectedIds == ordered(mine.body)->getNames());
        std::string expected = "{";
        for (const auto& id : expectedIds) {
            std::ostringstream entry;
            Poco::JSON::Stringifier::stringify(all->get(id), entry);
            expected += (expected.size() > 1 ? "," : "") + ("\"" + id + "\":") + entry.str();
        }
        CPPUNIT_ASSERT_EQUAL(expected + "}", mine.body);
    }

    void queueShowsOnlyYourOwnItemsWithoutApiKeys()
    {
        _comfy->setExecutionTime(std::chrono::milliseconds(1500));
        _comfy->setLeakApiKeysInQueue(true); // a ComfyUI older than 0.3.68
        const std::string body = "{\"prompt\":" + graph() + ",\"extra_data\":{\"api_key_comfy_org\":\"comfyui-secret-key\"}}";
        auto first = _client->postJson("/prompt", body, alice);
        auto second = _client->postJson("/prompt", body, alice);
        auto other = _client->postJson("/prompt", body, bob);
        CPPUNIT_ASSERT_EQUAL(200, first.status);
        CPPUNIT_ASSERT_EQUAL(200, other.status);
        auto queue = _client->get("/queue", alice);
        CPPUNIT_ASSERT_EQUAL(200, queue.status);
        CPPUNIT_ASSERT(queue.body.find("comfyui-secret-key") == std::string::npos);
        CPPUNIT_ASSERT(queue.body.find(other.json()->getValue<std::string>("prompt_id")) == std::string::npos);
        const auto parsed = queue.json();
        const std::size_t mine = parsed->getArray("queue_running")->size() + parsed->getArray("queue_pending")->size();
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), mine);
        auto bobsQueue = _client->get("/api/queue", bob).json();
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), bobsQueue->getArray("queue_running")->size() + bobsQueue->getArray("queue_pending")->size());
        (void)second;
    }

    void takenPromptIdIsRefused()
    {
        const std::string body = "{\"prompt\":" + graph() + ",\"prompt_id\":\"fixed-id-1\"}";
        CPPUNIT_ASSERT_EQUAL(200, _client->postJson("/prompt", body, alice).status);
        auto again = _client->postJson("/prompt", body, bob);
        CPPUNIT_ASSERT_EQUAL(400, again.status);
        CPPUNIT_ASSERT_EQUAL(std::string("prompt_id_exists"), again.json()->getObject("error")->getValue<std::string>("type"));
    }

    void traversalInFilenamePrefixIsRefused()
    {
        auto result = _client->postJson("/prompt", "{\"prompt\":" + graph(20, "../bob/stolen") + "}", alice);
        CPPUNIT_ASSERT_EQUAL(400, result.status);
        CPPUNIT_ASSERT(result.json()->getObject("error")->has("message"));
        CPPUNIT_ASSERT(_comfy->requests().empty() || _client->get("/history", admin).json()->size() == 0);
    }

    void guestWithoutCanRunIsRefused()
    {
        auto result = _client->postJson("/prompt", "{\"prompt\":" + graph() + "}", guest);
        CPPUNIT_ASSERT_EQUAL(403, result.status);
        CPPUNIT_ASSERT_EQUAL(401, _client->postJson("/prompt", "{\"prompt\":" + graph() + "}").status);
    }

    void promptPolicyDeniesWithAReason()
    {
        // The shipped prompt.lua caps steps at 150 for non-admins.
        auto denied = _client->postJson("/prompt", "{\"prompt\":" + graph(500) + "}", alice);
        CPPUNIT_ASSERT_EQUAL(403, denied.status);
        const auto error = denied.json()->getObject("error");
        CPPUNIT_ASSERT_EQUAL(std::string("policy_denied"), error->getValue<std::string>("type"));
        CPPUNIT_ASSERT(error->getValue<std::string>("message").find("500") != std::string::npos);
    }

    void validationErrorsComeBackUnchanged()
    {
        auto missing = _client->postJson("/prompt", "{}", alice);
        CPPUNIT_ASSERT_EQUAL(400, missing.status);
        CPPUNIT_ASSERT_EQUAL(std::string("no_prompt"), missing.json()->getObject("error")->getValue<std::string>("type"));
        auto unknown = _client->postJson("/prompt", R"({"prompt":{"1":{"class_type":"NoSuchNode","inputs":{}}}})", alice);
        CPPUNIT_ASSERT_EQUAL(400, unknown.status);
        CPPUNIT_ASSERT_EQUAL(std::string("invalid_prompt"), unknown.json()->getObject("error")->getValue<std::string>("type"));
    }

    void queueClearAndDeleteTouchOnlyYourItems()
    {
        _comfy->setExecutionTime(std::chrono::milliseconds(3000));
        const std::string running = submit(alice, graph());
        const std::string alicePending = submit(alice, graph());
        const std::string bobPending = submit(bob, graph());
        // bob cannot delete alice's item, alice's clear leaves bob's.
        CPPUNIT_ASSERT_EQUAL(200, _client->postJson("/queue", "{\"delete\":[\"" + alicePending + "\"]}", bob).status);
        CPPUNIT_ASSERT(queueIds(admin).count(alicePending));
        CPPUNIT_ASSERT_EQUAL(200, _client->postJson("/queue", "{\"clear\":true}", alice).status);
        const auto left = queueIds(admin);
        CPPUNIT_ASSERT(!left.count(alicePending));
        CPPUNIT_ASSERT(left.count(bobPending));
        CPPUNIT_ASSERT(left.count(running)); // clear only touches pending items, like ComfyUI
    }

    void historyClearTouchesOnlyYourItems()
    {
        const std::string mine = submit(alice, graph());
        const std::string theirs = submit(bob, graph());
        waitForHistory(alice, mine);
        waitForHistory(bob, theirs);
        CPPUNIT_ASSERT_EQUAL(200, _client->postJson("/history", "{\"delete\":[\"" + theirs + "\"]}", alice).status);
        CPPUNIT_ASSERT(_client->get("/history", bob).json()->has(theirs));
        CPPUNIT_ASSERT_EQUAL(200, _client->postJson("/history", "{\"clear\":true}", alice).status);
        CPPUNIT_ASSERT(!_client->get("/history", admin).json()->has(mine));
        CPPUNIT_ASSERT(_client->get("/history", admin).json()->has(theirs));
    }

    void interruptStopsOnlyYourPrompt()
    {
        _comfy->setExecutionTime(std::chrono::milliseconds(1500));
        const std::string id = submit(alice, graph());
        std::this_thread::sleep_for(std::chrono::milliseconds(300)); // running now
        CPPUNIT_ASSERT_EQUAL(200, _client->postJson("/interrupt", "", bob).status);
        CPPUNIT_ASSERT_EQUAL(200, _client->postJson("/interrupt", "{\"prompt_id\":\"" + id + "\"}", bob).status);
        waitForHistory(alice, id);
        auto status = _client->get("/history/" + id, alice).json()->getObject(id)->getObject("status");
        CPPUNIT_ASSERT_EQUAL(std::string("success"), status->getValue<std::string>("status_str"));

        const std::string second = submit(alice, graph());
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        CPPUNIT_ASSERT_EQUAL(200, _client->postJson("/api/interrupt", "", alice).status);
        for (int i = 0; i < 200; ++i) {
            auto item = _client->get("/history/" + second, alice).json();
            if (item->has(second)) {
                CPPUNIT_ASSERT_EQUAL(std::string("error"),
                                     item->getObject(second)->getObject("status")->getValue<std::string>("status_str"));
                return;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(25));
        }
        CPPUNIT_FAIL("the interrupted prompt never reached the history");
    }

    void jobsShowOnlyYourPrompts()
    {
        const std::string a1 = submit(alice, graph());
        const std::string a2 = submit(alice, graph());
        const std::string b1 = submit(bob, graph());
        waitForHistory(bob, b1);
        waitForHistory(alice, a2);
        auto jobs = _client->get("/api/jobs?limit=1", alice).json();
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), jobs->getArray("jobs")->size());
        CPPUNIT_ASSERT_EQUAL(2, jobs->getObject("pagination")->getValue<int>("total"));
        CPPUNIT_ASSERT(jobs->getObject("pagination")->getValue<bool>("has_more"));
        auto all = _client->get("/api/jobs", alice);
        CPPUNIT_ASSERT(all.body.find(b1) == std::string::npos);
        CPPUNIT_ASSERT(all.body.find(a1) != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(404, _client->get("/api/jobs/" + a1, bob).status);
        CPPUNIT_ASSERT_EQUAL(200, _client->get("/api/jobs/" + a1, alice).status);
        CPPUNIT_ASSERT_EQUAL(400, _client->get("/api/jobs?limit=0", alice).status);
        CPPUNIT_ASSERT(_client->get("/api/jobs", admin).body.find(b1) != std::string::npos);
    }

private:
    std::set<std::string> queueIds(const Headers& user)
    {
        std::set<std::string> ids;
        auto queue = _client->get("/queue", user).json();
        for (const char* list : {"queue_running", "queue_pending"}) {
            auto items = queue->getArray(list);
            for (std::size_t i = 0; i < items->size(); ++i)
                ids.insert(items->getArray(static_cast<unsigned>(i))->getElement<std::string>(1));
        }
        return ids;
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(PromptIsolationTest);
