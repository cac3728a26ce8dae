#include "RunningPrompt.h"

#include <cppunit/extensions/HelperMacros.h>

using comfygate::comfyproxy::RunningPrompt;
using namespace std::chrono_literals;

class RunningPromptTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(RunningPromptTest);
    CPPUNIT_TEST(eventsStartAndEndAPrompt);
    CPPUNIT_TEST(theEndOfAnotherPromptChangesNothing);
    CPPUNIT_TEST(theNewerSourceWins);
    CPPUNIT_TEST(aQueueChangeOutdatesWhatIsKnown);
    CPPUNIT_TEST_SUITE_END();

public:
    void eventsStartAndEndAPrompt()
    {
        RunningPrompt running;
        const auto t = RunningPrompt::Clock::now();
        CPPUNIT_ASSERT(!running.current());
        running.observe("progress_state", "p1", false, t);
        CPPUNIT_ASSERT_EQUAL(std::string("p1"), *running.current());
        running.observe("executing", "p1", true, t + 1ms); // executing {node:null}: done
        CPPUNIT_ASSERT(!running.current());
        running.observe("execution_start", "p2", false, t + 2ms);
        running.observe("execution_interrupted", "p2", false, t + 3ms);
        CPPUNIT_ASSERT(!running.current());
    }

    void theEndOfAnotherPromptChangesNothing()
    {
        RunningPrompt running;
        const auto t = RunningPrompt::Clock::now();
        running.observe("execution_start", "p2", false, t);
        running.observe("execution_success", "p1", false, t + 1ms);
        CPPUNIT_ASSERT_EQUAL(std::string("p2"), *running.current());
    }

    void theNewerSourceWins()
    {
        RunningPrompt running;
        const auto t = RunningPrompt::Clock::now();
        running.observe("executing", "p1", false, t);
        running.fromQueue(std::nullopt, t - 1ms); // a /queue answer requested before that event
        CPPUNIT_ASSERT_EQUAL(std::string("p1"), *running.current());
        running.fromQueue(std::string("p3"), t + 1ms);
        CPPUNIT_ASSERT_EQUAL(std::string("p3"), *running.current());
    }

    void aQueueChangeOutdatesWhatIsKnown()
    {
        RunningPrompt running;
        const auto t = RunningPrompt::Clock::now();
        running.fromQueue(std::string("p1"), t);
        CPPUNIT_ASSERT(!running.outdatedSince());
        running.queueChanged(t + 1ms);
        CPPUNIT_ASSERT(running.outdatedSince() == t + 1ms);
        running.fromQueue(std::nullopt, t + 2ms);
        CPPUNIT_ASSERT(!running.outdatedSince());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(RunningPromptTest);
