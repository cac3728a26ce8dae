// Where each frame of the gateway's one upstream socket goes: the submitting tab, the user's
// tabs, everyone, the logs subscribers; status rewritten per client; metadata previews turned
// into plain ones for clients that did not ask for metadata.
#include "FrameRouter.h"
#include "ModuleMigrations.h"
#include "PooledDatabase.h"
#include "TempDir.h"

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/JSON/Parser.h>

#include <memory>

using comfygate::DatabaseSettings;
using comfygate::PooledDatabase;
using comfygate::comfyproxy::FrameRouter;
using comfygate::comfyproxy::PromptOwners;
using comfygate::comfyproxy::QueueSnapshot;
using comfygate::comfyproxy::RunningPrompt;
using To = FrameRouter::Delivery::To;

namespace {

std::string event(const std::string& type, const std::string& promptId)
{
    return R"({"type":")" + type + R"(","data":{"prompt_id":")" + promptId + R"(","node":"3"}})";
}

std::string uint32(std::uint32_t value)
{
    std::string bytes;
    for (int shift = 24; shift >= 0; shift -= 8)
        bytes += static_cast<char>((value >> shift) & 0xff);
    return bytes;
}

std::string metadataPreview(const std::string& promptId, const std::string& imageType, const std::string& image)
{
    const std::string json = R"({"node_id":"3","prompt_id":")" + promptId + R"(","image_type":")" + imageType + "\"}";
    return uint32(4) + uint32(static_cast<std::uint32_t>(json.size())) + json + image;
}

} // namespace

class FrameRouterTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(FrameRouterTest);
    CPPUNIT_TEST(promptEventsGoToTheSubmittingTab);
    CPPUNIT_TEST(promptWithoutTabGetsOnlyWhatComfyBroadcasts);
    CPPUNIT_TEST(unknownPromptsReachNobody);
    CPPUNIT_TEST(statusGoesToEveryoneWithOwnSidAndCount);
    CPPUNIT_TEST(featureFlagsAndLogsHaveTheirOwnAudience);
    CPPUNIT_TEST(framesWithoutPromptIdFollowTheRunningPrompt);
    CPPUNIT_TEST(metadataPreviewRoutesByPromptAndConverts);
    CPPUNIT_TEST(sharedModeMatchesTabsOfAnyUser);
    CPPUNIT_TEST(reconnectingTabHearsTheExecutingNode);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override
    {
        _dir = std::make_unique<comfygate::test::TempDir>();
        DatabaseSettings settings;
        settings.sqlitePath = _dir->file("prompts.db");
        _db = std::make_unique<PooledDatabase>(settings);
        _db->open();
        _db->migrate("comfy-proxy", comfygate::moduleMigrations());
        _owners = std::make_unique<PromptOwners>(*_db);
        _running = std::make_unique<RunningPrompt>();
        _queue = std::make_unique<QueueSnapshot>([this] { return _queueText; }, *_owners, *_running,
                                                 std::chrono::milliseconds(1000));
        _router = std::make_unique<FrameRouter>(*_owners, *_running, *_queue, true);
        _owners->record("p-tab", "alice", "tab1", 1);
        _owners->record("p-none", "alice", "", 1);
        _owners->record("p-bob", "bob", "tab1", 1);
    }

    void tearDown() override
    {
        _router.reset();
        _queue.reset();
        _running.reset();
        _owners.reset();
        _db.reset();
        _dir.reset();
    }

    void promptEventsGoToTheSubmittingTab()
    {
        for (const char* type : {"execution_start", "executing", "progress", "executed", "execution_success"}) {
            const auto delivery = route(event(type, "p-tab"));
            CPPUNIT_ASSERT_MESSAGE(type, delivery.to == To::Tab);
            CPPUNIT_ASSERT_EQUAL(std::string("alice"), delivery.userId);
            CPPUNIT_ASSERT_EQUAL(std::string("tab1"), delivery.clientId);
            CPPUNIT_ASSERT(!delivery.preview);
        }
        CPPUNIT_ASSERT_EQUAL(std::string("bob"), route(event("executed", "p-bob")).userId);
    }

    void promptWithoutTabGetsOnlyWhatComfyBroadcasts()
    {
        for (const char* type : {"execution_start", "execution_cached", "executing", "executed", "execution_success",
                                 "execution_error"})
            CPPUNIT_ASSERT_MESSAGE(type, route(event(type, "p-none")).to == To::Nobody);
        for (const char* type : {"progress", "progress_state", "execution_interrupted"}) {
            const auto delivery = route(event(type, "p-none"));
            CPPUNIT_ASSERT_MESSAGE(type, delivery.to == To::User);
            CPPUNIT_ASSERT_EQUAL(std::string("alice"), delivery.userId);
        }
    }

    void unknownPromptsReachNobody()
    {
        CPPUNIT_ASSERT(route(event("progress", "elsewhere")).to == To::Nobody);
        CPPUNIT_ASSERT(route("not json").to == To::Nobody);
        CPPUNIT_ASSERT(route(uint32(9) + "xyz", true).to == To::Nobody);
    }

    void statusGoesToEveryoneWithOwnSidAndCount()
    {
        _queueText = R"({"queue_running":[[0,"p-tab",{},{},[]]],"queue_pending":[[1,"p-bob",{},{},[]],[2,"p-none",{},{},[]]]})";
        const std::string status = R"({"type":"status","data":{"status":{"exec_info":{"queue_remaining":3}},"sid":"comfygate-x"}})";
        const auto delivery = route(status);
        CPPUNIT_ASSERT(delivery.to == To::Everyone);
        CPPUNIT_ASSERT(delivery.status);
        const auto forAlice = parse(_router->statusFor({"alice", "tab9", false}, status, FrameRouter::Clock::now()));
        CPPUNIT_ASSERT_EQUAL(std::string("tab9"), forAlice->getObject("data")->getValue<std::string>("sid"));
        CPPUNIT_ASSERT_EQUAL(2, remaining(forAlice));
        const auto first = parse(_router->firstStatus({"bob", "b", false}));
        CPPUNIT_ASSERT_EQUAL(std::string("status"), first->getValue<std::string>("type"));
        CPPUNIT_ASSERT_EQUAL(std::string("b"), first->getObject("data")->getValue<std::string>("sid"));
        CPPUNIT_ASSERT_EQUAL(1, remaining(first));
    }

    void featureFlagsAndLogsHaveTheirOwnAudience()
    {
        CPPUNIT_ASSERT(route(R"({"type":"feature_flags","data":{"supports_preview_metadata":true}})").to ==
                       To::Gateway);
        CPPUNIT_ASSERT(route(R"({"type":"logs","data":{"entries":[],"size":null}})").to == To::LogSubscribers);
    }

    void framesWithoutPromptIdFollowTheRunningPrompt()
    {
        CPPUNIT_ASSERT(route(uint32(3) + uint32(1) + "3" + "text", true).to == To::Nobody); // nothing runs
        route(event("execution_start", "p-tab"));
        const auto text = route(uint32(3) + uint32(1) + "3" + "text", true);
        CPPUNIT_ASSERT(text.to == To::User); // ComfyUI broadcasts TEXT: every tab of the owner
        CPPUNIT_ASSERT_EQUAL(std::string("alice"), text.userId);
        const auto preview = route(uint32(1) + uint32(1) + "jpeg", true);
        CPPUNIT_ASSERT(preview.to == To::Tab);
        CPPUNIT_ASSERT_EQUAL(std::string("tab1"), preview.clientId);
        CPPUNIT_ASSERT(preview.preview);
        CPPUNIT_ASSERT(route(R"({"type":"crystools.monitor","data":{}})").to == To::User);
        const auto reconnect = route(R"({"type":"executing","data":{"node":"3"}})");
        CPPUNIT_ASSERT(reconnect.to == To::Tab);
        route(R"({"type":"execution_success","data":{"prompt_id":"p-tab"}})");
        CPPUNIT_ASSERT(route(R"({"type":"crystools.monitor","data":{}})").to == To::Nobody);
    }

    void metadataPreviewRoutesByPromptAndConverts()
    {
        const std::string frame = metadataPreview("p-bob", "image/png", "PNGDATA");
        const auto delivery = route(frame, true);
        CPPUNIT_ASSERT(delivery.to == To::Tab);
        CPPUNIT_ASSERT_EQUAL(std::string("bob"), delivery.userId);
        CPPUNIT_ASSERT(delivery.preview && delivery.metadataPreview);
        CPPUNIT_ASSERT_EQUAL(uint32(1) + uint32(2) + "PNGDATA", FrameRouter::asPlainPreview(frame));
        CPPUNIT_ASSERT_EQUAL(uint32(1) + uint32(1) + "JPG",
                             FrameRouter::asPlainPreview(metadataPreview("p-bob", "image/jpeg", "JPG")));
        CPPUNIT_ASSERT(route(metadataPreview("p-none", "image/png", "x"), true).to == To::User);
        CPPUNIT_ASSERT(FrameRouter::asPlainPreview(uint32(1) + uint32(1) + "x").empty());
        CPPUNIT_ASSERT(FrameRouter::asPlainPreview(uint32(4) + uint32(99) + "{}").empty());
    }

    void sharedModeMatchesTabsOfAnyUser()
    {
        FrameRouter shared(*_owners, *_running, *_queue, false);
        const auto tab = shared.route(event("executed", "p-bob"), false, FrameRouter::Clock::now());
        CPPUNIT_ASSERT(tab.to == To::Tab);
        CPPUNIT_ASSERT(tab.userId.empty());
        CPPUNIT_ASSERT(shared.route(event("progress", "p-none"), false, FrameRouter::Clock::now()).to ==
                       To::Everyone);
    }

    void reconnectingTabHearsTheExecutingNode()
    {
        CPPUNIT_ASSERT(_router->reconnectFrame({"alice", "tab1", false}).empty());
        route(event("execution_start", "p-tab"));
        route(event("executing", "p-tab"));
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"type":"executing","data":{"node":"3"}})"),
                             _router->reconnectFrame({"alice", "tab1", false}));
        CPPUNIT_ASSERT(_router->reconnectFrame({"alice", "tab2", false}).empty());
        CPPUNIT_ASSERT(_router->reconnectFrame({"bob", "tab1", false}).empty());
        route(R"({"type":"executing","data":{"node":null,"prompt_id":"p-tab"}})");
        CPPUNIT_ASSERT(_router->reconnectFrame({"alice", "tab1", false}).empty());
    }

private:
    FrameRouter::Delivery route(const std::string& payload, bool binary = false)
    {
        return _router->route(payload, binary, FrameRouter::Clock::now());
    }

    static Poco::JSON::Object::Ptr parse(const std::string& text)
    {
        return Poco::JSON::Parser().parse(text).extract<Poco::JSON::Object::Ptr>();
    }

    static int remaining(const Poco::JSON::Object::Ptr& status)
    {
        return status->getObject("data")->getObject("status")->getObject("exec_info")->getValue<int>(
            "queue_remaining");
    }

    std::unique_ptr<comfygate::test::TempDir> _dir;
    std::unique_ptr<PooledDatabase> _db;
    std::unique_ptr<PromptOwners> _owners;
    std::unique_ptr<RunningPrompt> _running;
    std::unique_ptr<QueueSnapshot> _queue;
    std::unique_ptr<FrameRouter> _router;
    std::string _queueText = R"({"queue_running":[],"queue_pending":[]})";
};

CPPUNIT_TEST_SUITE_REGISTRATION(FrameRouterTest);
