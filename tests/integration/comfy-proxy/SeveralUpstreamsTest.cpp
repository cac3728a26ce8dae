// Two fake ComfyUI hosts behind one gateway (comfy.upstreams): prompts spread by load, each
// user's history and jobs merged from both, /view and interrupt sent to the host that ran the
// prompt, a host killed mid-run (its owners told on their WebSocket, in history and jobs, in
// /metrics and `comfygate upstreams`) and brought back, and a policy that picks a host by label.
#include "ComfyGateway.h"

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

#include <chrono>
#include <functional>
#include <optional>
#include <set>
#include <thread>
#include <tuple>

using comfygate::test::Headers;
using comfygate::test::TempDir;

class SeveralUpstreamsTest : public comfygate::test::ComfyGatewayTest
{
    CPPUNIT_TEST_SUITE(SeveralUpstreamsTest);
    CPPUNIT_TEST(promptsSpreadByLoadAndInterruptReachesTheirHost);
    CPPUNIT_TEST(eachUsersHistoryAndJobsAreMergedFromBothHosts);
    CPPUNIT_TEST(viewIsServedByTheHostThatRanThePrompt);
    CPPUNIT_TEST(uploadsReachEveryHost);
    CPPUNIT_TEST(modelListsAreWhatEveryHostOrAnyHostHas);
    CPPUNIT_TEST(killedHostsOwnersAreToldAndItIsUsedAgainWhenBack);
    CPPUNIT_TEST(promptPolicyLabelsPickTheHost);
    CPPUNIT_TEST(badUpstreamSettingsStopStartupWithTheKey);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override
    {
        _comfy->start();
        _second = newSecondHost();
        _second->start();
        _secondPort = _second->port();
    }

    void tearDown() override
    {
        _client.reset();
        _server.reset();
        if (_second)
            _second->stop();
        _second.reset();
        ComfyGatewayTest::tearDown();
    }

    void promptsSpreadByLoadAndInterruptReachesTheirHost()
    {
        setExecutionTime(std::chrono::milliseconds(20000)); // nothing finishes during the test
        startGatewayOnBoth();
        std::vector<std::string> ids;
        for (int i = 0; i < 4; ++i)
            ids.push_back(submit(alice, graph("spread")));
        // Each prompt goes where fewer are waiting: first, second, first, second.
        CPPUNIT_ASSERT(ranOn(*_comfy, ids[0]));
        CPPUNIT_ASSERT(ranOn(*_second, ids[1]));
        CPPUNIT_ASSERT(ranOn(*_comfy, ids[2]));
        CPPUNIT_ASSERT(ranOn(*_second, ids[3]));
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), promptsReceived(*_comfy));
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), promptsReceived(*_second));

        // /queue merges both hosts: one running on each, one pending on each.
        waitUntil([&] { return queueOf(alice, "queue_running") == 2; }, "both hosts run one prompt");
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), queueOf(alice, "queue_pending"));
        CPPUNIT_ASSERT((queueOf(bob, "queue_running") == 0)); // and still only the caller's

        // Interrupt and delete go to the host that holds each prompt.
        _comfy->clearRequests();
        _second->clearRequests();
        CPPUNIT_ASSERT_EQUAL(200, _client->postJson("/interrupt", "{\"prompt_id\":\"" + ids[1] + "\"}", alice).status);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), requestsTo(*_second, "POST", "/interrupt"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), requestsTo(*_comfy, "POST", "/interrupt"));
        const auto deleted = _client->postJson("/queue", "{\"delete\":[\"" + ids[2] + "\",\"" + ids[3] + "\"]}", alice);
        CPPUNIT_ASSERT_EQUAL(200, deleted.status);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), requestsTo(*_comfy, "POST", "/queue"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), requestsTo(*_second, "POST", "/queue"));
        waitUntil([&] { return (queueOf(alice, "queue_pending") == 0); }, "the deleted prompts leave the queue");
    }

    void eachUsersHistoryAndJobsAreMergedFromBothHosts()
    {
        // Long enough that all four are queued before the first finishes: they alternate.
        setExecutionTime(std::chrono::milliseconds(1000));
        startGatewayOnBoth();
        const std::string alice1 = submit(alice, graph("a"));
        const std::string alice2 = submit(alice, graph("a"));
        const std::string bob1 = submit(bob, graph("b"));
        const std::string bob2 = submit(bob, graph("b"));
        CPPUNIT_ASSERT(ranOn(*_comfy, alice1) && ranOn(*_second, alice2));
        CPPUNIT_ASSERT(ranOn(*_comfy, bob1) && ranOn(*_second, bob2));
        for (const auto& id : {alice1, alice2})
            waitForHistory(alice, id);
        for (const auto& id : {bob1, bob2})
            waitForHistory(bob, id);

        const auto history = _client->get("/history", alice).json();
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), history->size());
        CPPUNIT_ASSERT(history->has(alice1) && history->has(alice2));
        const auto bobs = _client->get("/history", bob).json();
        CPPUNIT_ASSERT(bobs->has(bob1) && bobs->has(bob2) && !bobs->has(alice1));
        // Paging applies to the merged list.
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), _client->get("/history?max_items=1", alice).json()->size());

        const auto jobs = _client->get("/api/jobs", alice).json();
        CPPUNIT_ASSERT_EQUAL(2, jobs->getObject("pagination")->getValue<int>("total"));
        std::set<std::string> jobIds;
        for (std::size_t i = 0; i < jobs->getArray("jobs")->size(); ++i)
            jobIds.insert(jobs->getArray("jobs")->getObject(static_cast<unsigned>(i))->getValue<std::string>("id"));
        CPPUNIT_ASSERT(jobIds == std::set<std::string>({alice1, alice2}));
        // One job is asked of the host that ran it; another user's is unknown.
        CPPUNIT_ASSERT_EQUAL(200, _client->get("/api/jobs/" + alice2, alice).status);
        CPPUNIT_ASSERT_EQUAL(404, _client->get("/api/jobs/" + alice2, bob).status);
        // The admin sees everyone's, from both hosts.
        CPPUNIT_ASSERT_EQUAL(4,
                             _client->get("/api/jobs", admin).json()->getObject("pagination")->getValue<int>("total"));
    }

    void viewIsServedByTheHostThatRanThePrompt()
    {
        setExecutionTime(std::chrono::milliseconds(800));
        startGatewayOnBoth();
        const std::string first = submit(alice, graph("first"));
        const std::string second = submit(alice, graph("second"));
        CPPUNIT_ASSERT(ranOn(*_comfy, first) && ranOn(*_second, second));
        for (const auto& [id, host, other] :
             {std::tuple{first, _comfy.get(), _second.get()}, std::tuple{second, _second.get(), _comfy.get()}}) {
            const auto image = waitForImage(alice, id);
            const std::string relative =
                image->getValue<std::string>("subfolder") + "/" + image->getValue<std::string>("filename");
            const std::string onDisk = comfygate::test::readFile(host->outputDir() + "/" + relative);
            CPPUNIT_ASSERT(!onDisk.empty());
            CPPUNIT_ASSERT(comfygate::test::readFile(other->outputDir() + "/" + relative).empty());
            const auto view = _client->get(comfygate::test::viewUri(image), alice);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(relative, 200, view.status);
            CPPUNIT_ASSERT(view.body == onDisk);
            CPPUNIT_ASSERT_EQUAL(404, _client->get(comfygate::test::viewUri(image), bob).status);
        }
    }

    void uploadsReachEveryHost()
    {
        startGatewayOnBoth();
        const std::string boundary = "----several-upstreams";
        const std::string png = comfygate::fakes::FakeComfyUI::pngWithText(4, 4, {});
        const std::string form = "--" + boundary +
                                 "\r\nContent-Disposition: form-data; name=\"image\"; filename=\"cat.png\"\r\n"
                                 "Content-Type: image/png\r\n\r\n" +
                                 png + "\r\n--" + boundary + "--\r\n";
        Headers headers = alice;
        headers["Content-Type"] = "multipart/form-data; boundary=" + boundary;
        const auto uploaded = _client->request("POST", "/upload/image", form, headers);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(uploaded.body, 200, uploaded.status);
        CPPUNIT_ASSERT_EQUAL(std::string("alice"), uploaded.json()->getValue<std::string>("subfolder"));
        // Whichever host a prompt loading it lands on has it.
        CPPUNIT_ASSERT(comfygate::test::readFile(_comfy->inputDir() + "/alice/cat.png") == png);
        CPPUNIT_ASSERT(comfygate::test::readFile(_second->inputDir() + "/alice/cat.png") == png);
    }

    void modelListsAreWhatEveryHostOrAnyHostHas()
    {
        _second->addModel("checkpoints", "sdxl.safetensors");
        const auto checkpoints = [&] { return _client->get("/models/checkpoints", alice).body; };
        const auto ckptOptions = [&] {
            const auto info = _client->get("/object_info/CheckpointLoaderSimple", alice).json();
            const auto options = info->getObject("CheckpointLoaderSimple")
                                     ->getObject("input")
                                     ->getObject("required")
                                     ->getArray("ckpt_name")
                                     ->getArray(0);
            std::set<std::string> names;
            for (std::size_t i = 0; i < options->size(); ++i)
                names.insert(options->getElement<std::string>(static_cast<unsigned>(i)));
            return names;
        };
        startGatewayOnBoth(); // intersection by default: only what a prompt can use on either host
        CPPUNIT_ASSERT_EQUAL(std::string(R"(["sd15.safetensors"])"), checkpoints());
        CPPUNIT_ASSERT(ckptOptions() == std::set<std::string>({"sd15.safetensors"}));
        startGatewayOnBoth({{"comfy.upstreams.merge", "union"}});
        CPPUNIT_ASSERT_EQUAL(std::string(R"(["sd15.safetensors","sdxl.safetensors"])"), checkpoints());
        CPPUNIT_ASSERT(ckptOptions() == std::set<std::string>({"sd15.safetensors", "sdxl.safetensors"}));
    }

    void killedHostsOwnersAreToldAndItIsUsedAgainWhenBack()
    {
        setExecutionTime(std::chrono::milliseconds(20000));
        startGatewayOnBoth();
        waitUntil([&] { return metric("comfygate_upstream_2_up") == 1; }, "the second host is up");
        comfygate::test::WebSocketTestClient socket(_server->port(), "/ws?clientId=tab-1", alice);
        socket.next(std::chrono::seconds(5)); // the first status
        const std::string onFirst = submit(alice, graph("kill"), "tab-1");
        const std::string onSecond = submit(alice, graph("kill"), "tab-1");
        CPPUNIT_ASSERT(ranOn(*_second, onSecond));

        _second->stop(); // the host goes away with the prompt running
        const auto frames = socket.until(
            [&](const auto& frame) { return frame.type() == "execution_error" && promptIdOf(frame) == onSecond; },
            std::chrono::seconds(30));
        const auto error = frames.back().json()->getObject("data");
        CPPUNIT_ASSERT_EQUAL(onSecond, error->getValue<std::string>("prompt_id"));
        CPPUNIT_ASSERT(error->getValue<std::string>("exception_message").find(_second->url()) != std::string::npos);

        // History and jobs say so; the prompt on the first host is untouched.
        const auto entry = _client->get("/history/" + onSecond, alice).json()->getObject(onSecond);
        CPPUNIT_ASSERT(entry);
        CPPUNIT_ASSERT_EQUAL(std::string("error"), entry->getObject("status")->getValue<std::string>("status_str"));
        CPPUNIT_ASSERT(_client->get("/history", alice).json()->has(onSecond));
        const auto job = _client->get("/api/jobs/" + onSecond, alice).json();
        CPPUNIT_ASSERT_EQUAL(std::string("failed"), job->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), queueOf(alice, "queue_running"));
        CPPUNIT_ASSERT_EQUAL(0.0, *metric("comfygate_upstream_2_up"));
        std::string out, err;
        CPPUNIT_ASSERT_EQUAL(1, _server->runCommand({"upstreams"}, out, err));
        CPPUNIT_ASSERT_MESSAGE(out, out.find(_second->url()) != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(out, out.find("down") != std::string::npos);

        // While it is down every prompt goes to the first host, however busy.
        const std::string whileDown = submit(alice, graph("kill"));
        CPPUNIT_ASSERT(ranOn(*_comfy, whileDown));

        // Back on the same port: it rejoins and takes the next prompt (the first host is busier).
        _second = newSecondHost();
        _second->setExecutionTime(std::chrono::milliseconds(50));
        _second->start(_secondPort);
        waitUntil([&] { return metric("comfygate_upstream_2_up") == 1; }, "the second host is back");
        const std::string afterwards = submit(alice, graph("back"));
        CPPUNIT_ASSERT(ranOn(*_second, afterwards));
        waitForHistory(alice, afterwards);
        CPPUNIT_ASSERT_EQUAL(0, _server->runCommand({"upstreams"}, out, err));
        (void)onFirst;
    }

    void promptPolicyLabelsPickTheHost()
    {
        setExecutionTime(std::chrono::milliseconds(20000));
        _policies.write("route.lua", R"(
policy.on("prompt", function(subject, request)
    if subject.user_id == "bob" then
        return { upstream_labels = { "big" } }
    end
    if subject.user_id == "gus" then
        return { upstream_labels = "nowhere" }
    end
end)
)");
        startGatewayOnBoth({{"comfy.upstream.2.labels", "big, fast"}, {"policy.dir", _policies.path()}});
        // Bob's prompts all go to the labelled host, however busy it gets.
        for (int i = 0; i < 3; ++i)
            CPPUNIT_ASSERT(ranOn(*_second, submit(bob, graph("big"))));
        // Alice's (no labels) go to the least-loaded host: the other one.
        CPPUNIT_ASSERT(ranOn(*_comfy, submit(alice, graph("any"))));
        // A label no host has: refused with what to do.
        const auto refused = _client->postJson("/prompt", "{\"prompt\":" + graph("x") + "}",
                                               Headers{{"Authorization", "Bearer fixture:gus:user"}});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(refused.body, 503, refused.status);
        CPPUNIT_ASSERT(refused.body.find("nowhere") != std::string::npos);
    }

    void badUpstreamSettingsStopStartupWithTheKey()
    {
        for (const auto& [key, value] : std::vector<std::pair<std::string, std::string>>{
                 {"comfy.upstream.2.weight", "0"}, {"comfy.upstreams.merge", "sometimes"}}) {
            bool refused = false;
            try {
                startGatewayOnBoth({{key, value}});
            } catch (const std::exception& e) {
                refused = std::string(e.what()).find(key) != std::string::npos;
            }
            CPPUNIT_ASSERT_MESSAGE(key, refused);
        }
    }

private:
    std::unique_ptr<comfygate::fakes::FakeComfyUI> newSecondHost()
    {
        auto host = std::make_unique<comfygate::fakes::FakeComfyUI>(_secondRoot.path());
        host->addModel("checkpoints", "sd15.safetensors");
        return host;
    }

    void setExecutionTime(std::chrono::milliseconds duration)
    {
        _comfy->setExecutionTime(duration);
        _second->setExecutionTime(duration);
    }

    void startGatewayOnBoth(Headers settings = {})
    {
        settings["comfy.upstreams"] = _comfy->url() + "," + _second->url();
        startGateway(settings);
    }

    static std::string graph(const std::string& prefix) { return comfygate::test::sampleWorkflow(4, prefix); }

    static std::size_t requestsTo(const comfygate::fakes::FakeComfyUI& host, const std::string& method,
                                  const std::string& path)
    {
        std::size_t count = 0;
        for (const auto& request : host.requests())
            if (request.method == method && (request.uri == path || request.uri == "/api" + path))
                ++count;
        return count;
    }

    static std::size_t promptsReceived(const comfygate::fakes::FakeComfyUI& host)
    {
        return requestsTo(host, "POST", "/prompt");
    }

    /// The host received POST /prompt with this prompt id.
    static bool ranOn(const comfygate::fakes::FakeComfyUI& host, const std::string& promptId)
    {
        for (const auto& request : host.requests())
            if (request.method == "POST" && request.uri == "/prompt" &&
                request.body.find("\"" + promptId + "\"") != std::string::npos)
                return true;
        return false;
    }

    /// How many items the user's GET /queue lists in `list` (queue_running or queue_pending).
    std::size_t queueOf(const Headers& user, const std::string& list)
    {
        return _client->get("/queue", user).json()->getArray(list)->size();
    }

    std::optional<double> metric(const std::string& name) { return _server->metric(name); }

    static void waitUntil(const std::function<bool()>& done, const std::string& what)
    {
        for (int i = 0; i < 600; ++i) {
            if (done())
                return;
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        CPPUNIT_FAIL("gave up waiting until " + what);
    }

    TempDir _secondRoot;
    TempDir _policies;
    std::unique_ptr<comfygate::fakes::FakeComfyUI> _second;
    unsigned _secondPort = 0;
};

CPPUNIT_TEST_SUITE_REGISTRATION(SeveralUpstreamsTest);
