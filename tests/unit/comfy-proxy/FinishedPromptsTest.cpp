// FinishedPrompts: one execution_success per finished prompt of this gateway, with the files
// of every `executed` event of that prompt and the owner's subject; nothing for failed,
// interrupted or foreign prompts; outputs of a prompt whose end was missed are dropped when
// the next prompt starts.
#include "FinishedPrompts.h"
#include "ModuleMigrations.h"
#include "PooledDatabase.h"
#include "TempDir.h"

#include "comfygate/Policy.h"

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/JSON/Parser.h>

#include <memory>
#include <vector>

using comfygate::DatabaseSettings;
using comfygate::PooledDatabase;
using comfygate::comfyproxy::FinishedPrompts;
using comfygate::comfyproxy::PromptOwners;

namespace {

/// A Policy that records what is raised.
class RaisedEvents : public comfygate::Policy
{
public:
    struct Raised
    {
        std::string event;
        Poco::JSON::Object::Ptr subject;
        Poco::JSON::Object::Ptr fields;
    };

    void declareHook(const comfygate::HookSpec&) override {}
    comfygate::Verdict call(const std::string&, const Poco::Dynamic::Var&, const Poco::Dynamic::Var&) override
    {
        return {};
    }
    void raise(const std::string& event, const Poco::Dynamic::Var& subject, const Poco::Dynamic::Var& fields) override
    {
        raised.push_back({event, subject.extract<Poco::JSON::Object::Ptr>(), fields.extract<Poco::JSON::Object::Ptr>()});
    }

    std::vector<Raised> raised;
};

Poco::JSON::Object::Ptr data(const std::string& json)
{
    return Poco::JSON::Parser().parse(json).extract<Poco::JSON::Object::Ptr>();
}

Poco::JSON::Object::Ptr executed(const std::string& promptId, const std::string& node, const std::string& output)
{
    return data(R"({"node":")" + node + R"(","display_node":")" + node + R"(","output":)" + output +
                R"(,"prompt_id":")" + promptId + R"("})");
}

} // namespace

class FinishedPromptsTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(FinishedPromptsTest);
    CPPUNIT_TEST(successCarriesEveryOutputFileAndTheOwner);
    CPPUNIT_TEST(failedInterruptedAndForeignPromptsRaiseNothing);
    CPPUNIT_TEST(outputsOfAMissedEndAreDroppedAtTheNextStart);
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
        _finished = std::make_unique<FinishedPrompts>(*_owners, _policy, [](const std::string& userId) {
            Poco::JSON::Object::Ptr subject = new Poco::JSON::Object;
            subject->set("user_id", userId);
            return subject;
        });
        _owners->record("p1", "alice", "tab1", 1);
        _owners->record("p2", "bob", "", 1);
    }

    void tearDown() override
    {
        _finished.reset();
        _owners.reset();
        _db.reset();
        _dir.reset();
    }

    void successCarriesEveryOutputFileAndTheOwner()
    {
        _finished->observe("execution_start", "p1", data(R"({"prompt_id":"p1"})"));
        _finished->observe("executed", "p1",
                           executed("p1", "9", R"({"images":[{"filename":"a_00001_.png","subfolder":"alice",)"
                                               R"("type":"output"},{"filename":"a_00002_.png","subfolder":"alice",)"
                                               R"("type":"output"}]})"));
        _finished->observe("executed", "p1",
                           executed("p1", "12", R"({"gifs":[{"filename":"clip.mp4","subfolder":"","type":"temp"}],)"
                                                R"("text":["not a file"]})"));
        CPPUNIT_ASSERT(_policy.raised.empty());
        _finished->observe("execution_success", "p1", data(R"({"prompt_id":"p1","timestamp":1})"));

        CPPUNIT_ASSERT_EQUAL(std::size_t(1), _policy.raised.size());
        const auto& raised = _policy.raised.front();
        CPPUNIT_ASSERT_EQUAL(std::string("execution_success"), raised.event);
        CPPUNIT_ASSERT_EQUAL(std::string("alice"), raised.subject->getValue<std::string>("user_id"));
        CPPUNIT_ASSERT_EQUAL(std::string("p1"), raised.fields->getValue<std::string>("prompt_id"));
        const auto outputs = raised.fields->getArray("outputs");
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), outputs->size());
        CPPUNIT_ASSERT_EQUAL(std::string("a_00002_.png"), outputs->getObject(1)->getValue<std::string>("filename"));
        CPPUNIT_ASSERT_EQUAL(std::string("9"), outputs->getObject(1)->getValue<std::string>("node_id"));
        CPPUNIT_ASSERT_EQUAL(std::string("clip.mp4"), outputs->getObject(2)->getValue<std::string>("filename"));
        CPPUNIT_ASSERT_EQUAL(std::string("temp"), outputs->getObject(2)->getValue<std::string>("type"));
        CPPUNIT_ASSERT_EQUAL(std::string("12"), outputs->getObject(2)->getValue<std::string>("node_id"));

        // A prompt with no output event still reports that it finished, once.
        _finished->observe("execution_start", "p2", data(R"({"prompt_id":"p2"})"));
        _finished->observe("execution_success", "p2", data(R"({"prompt_id":"p2"})"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), _policy.raised.size());
        CPPUNIT_ASSERT_EQUAL(std::string("bob"), _policy.raised.back().subject->getValue<std::string>("user_id"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), _policy.raised.back().fields->getArray("outputs")->size());
    }

    void failedInterruptedAndForeignPromptsRaiseNothing()
    {
        _finished->observe("execution_start", "p1", data(R"({"prompt_id":"p1"})"));
        _finished->observe("executed", "p1", executed("p1", "9", R"({"images":[{"filename":"x.png"}]})"));
        _finished->observe("execution_error", "p1", data(R"({"prompt_id":"p1"})"));
        _finished->observe("execution_start", "p2", data(R"({"prompt_id":"p2"})"));
        _finished->observe("execution_interrupted", "p2", data(R"({"prompt_id":"p2"})"));
        _finished->observe("execution_start", "elsewhere", data(R"({"prompt_id":"elsewhere"})"));
        _finished->observe("execution_success", "elsewhere", data(R"({"prompt_id":"elsewhere"})"));
        CPPUNIT_ASSERT(_policy.raised.empty());
    }

    void outputsOfAMissedEndAreDroppedAtTheNextStart()
    {
        _finished->observe("execution_start", "p1", data(R"({"prompt_id":"p1"})"));
        _finished->observe("executed", "p1", executed("p1", "9", R"({"images":[{"filename":"x.png"}]})"));
        // The gateway never heard p1 end (its socket was down); p2 starts.
        _finished->observe("execution_start", "p2", data(R"({"prompt_id":"p2"})"));
        _finished->observe("execution_success", "p1", data(R"({"prompt_id":"p1"})"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), _policy.raised.size());
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), _policy.raised.front().fields->getArray("outputs")->size());
    }

private:
    std::unique_ptr<comfygate::test::TempDir> _dir;
    std::unique_ptr<PooledDatabase> _db;
    std::unique_ptr<PromptOwners> _owners;
    RaisedEvents _policy;
    std::unique_ptr<FinishedPrompts> _finished;
};

CPPUNIT_TEST_SUITE_REGISTRATION(FinishedPromptsTest);
