#include "WorkerScheduler.h"

#include <Poco/AutoPtr.h>
#include <Poco/Channel.h>
#include <Poco/Logger.h>
#include <Poco/Message.h>

#include "CapturedLog.h"

#include <cppunit/extensions/HelperMacros.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using comfygate::Scheduler;
using comfygate::WorkerScheduler;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

using comfygate::test::CapturedLog;

namespace {

constexpr auto patience = 5s; // how long a test waits for something that must happen

/// Counts notifications; test threads wait for a count with a timeout.
class Counter
{
public:
    void notify()
    {
        {
            std::lock_guard<std::mutex> lock(_mutex);
            ++_count;
        }
        _changed.notify_all();
    }

    bool waitFor(int count, std::chrono::milliseconds timeout)
    {
        std::unique_lock<std::mutex> lock(_mutex);
        return _changed.wait_for(lock, timeout, [&] { return _count >= count; });
    }

    int value() const
    {
        std::lock_guard<std::mutex> lock(_mutex);
        return _count;
    }

private:
    mutable std::mutex _mutex;
    std::condition_variable _changed;
    int _count = 0;
};

/// Holds tasks until opened (a latch of one).
class Gate
{
public:
    void open()
    {
        {
            std::lock_guard<std::mutex> lock(_mutex);
            _open = true;
        }
        _changed.notify_all();
    }

    bool pass(std::chrono::milliseconds timeout = patience)
    {
        std::unique_lock<std::mutex> lock(_mutex);
        return _changed.wait_for(lock, timeout, [&] { return _open; });
    }

private:
    std::mutex _mutex;
    std::condition_variable _changed;
    bool _open = false;
};


} // namespace

class WorkerSchedulerTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(WorkerSchedulerTest);
    CPPUNIT_TEST(testAfterRunsOnceAfterItsDelay);
    CPPUNIT_TEST(testTimersFireInDueOrder);
    CPPUNIT_TEST(testEveryRepeatsAndNeverOverlaps);
    CPPUNIT_TEST(testSlowTimerTaskDoesNotDelayOtherTimers);
    CPPUNIT_TEST(testCancelStopsPeriodicTimer);
    CPPUNIT_TEST(testCancelOneShotBeforeItRuns);
    CPPUNIT_TEST(testCancelFromInsideOwnTask);
    CPPUNIT_TEST(testCancelWaitsForRunningRun);
    CPPUNIT_TEST(testSubmitReturnsFalseWhenQueueIsFull);
    CPPUNIT_TEST(testThrowingTaskDoesNotKillWorker);
    CPPUNIT_TEST(testStopLetsRunningTaskFinishAndDropsQueued);
    CPPUNIT_TEST(testNothingRunsBeforeStart);
    CPPUNIT_TEST(testStopFromTaskIsRefused);
    CPPUNIT_TEST(testLifecycleAndArguments);
    CPPUNIT_TEST_SUITE_END();

public:
    void testAfterRunsOnceAfterItsDelay()
    {
        Counter runs;
        Clock::time_point ranAt;
        WorkerScheduler scheduler(2, 8);
        scheduler.start();
        const auto scheduledAt = Clock::now();
        scheduler.after(150ms, [&] {
            ranAt = Clock::now();
            runs.notify();
        });
        CPPUNIT_ASSERT_MESSAGE("ran before its delay", !runs.waitFor(1, 50ms));
        CPPUNIT_ASSERT(runs.waitFor(1, patience));
        CPPUNIT_ASSERT(ranAt - scheduledAt >= 150ms);
        CPPUNIT_ASSERT_MESSAGE("ran twice", !runs.waitFor(2, 200ms));
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), scheduler.timerCount());
    }

    void testTimersFireInDueOrder()
    {
        std::mutex mutex;
        std::vector<int> order;
        Counter runs;
        WorkerScheduler scheduler(1, 8);
        auto record = [&](int n) {
            return [&, n] {
                {
                    std::lock_guard<std::mutex> lock(mutex);
                    order.push_back(n);
                }
                runs.notify();
            };
        };
        scheduler.after(90ms, record(3));
        scheduler.after(10ms, record(1));
        scheduler.after(50ms, record(2));
        scheduler.start();
        CPPUNIT_ASSERT(runs.waitFor(3, patience));
        std::lock_guard<std::mutex> lock(mutex);
        CPPUNIT_ASSERT(order == (std::vector<int>{1, 2, 3}));
    }

    void testEveryRepeatsAndNeverOverlaps()
    {
        constexpr auto interval = 20ms;
        std::mutex mutex;
        std::vector<std::pair<Clock::time_point, Clock::time_point>> spans;
        std::atomic<int> running{0};
        std::atomic<int> mostAtOnce{0};
        Counter runs;
        WorkerScheduler scheduler(4, 8);
        scheduler.start();
        const auto scheduledAt = Clock::now();
        const auto id = scheduler.every(interval, [&] {
            const int now = ++running;
            mostAtOnce = std::max(mostAtOnce.load(), now);
            const auto start = Clock::now();
            std::this_thread::sleep_for(3 * interval); // longer than the interval
            {
                std::lock_guard<std::mutex> lock(mutex);
                spans.emplace_back(start, Clock::now());
            }
            --running;
            runs.notify();
        });
        CPPUNIT_ASSERT(runs.waitFor(4, patience));
        scheduler.cancel(id);

        std::lock_guard<std::mutex> lock(mutex);
        CPPUNIT_ASSERT_EQUAL(1, mostAtOnce.load());
        CPPUNIT_ASSERT(spans.front().first - scheduledAt >= interval);
        for (std::size_t i = 1; i < spans.size(); ++i)
            CPPUNIT_ASSERT_MESSAGE("run " + std::to_string(i) + " started too early",
                                   spans[i].first - spans[i - 1].second >= interval);
    }

    void testSlowTimerTaskDoesNotDelayOtherTimers()
    {
        Gate release;
        Counter slowStarted, fastRuns;
        WorkerScheduler scheduler(2, 8);
        scheduler.start();
        scheduler.after(0ms, [&] {
            slowStarted.notify();
            release.pass();
        });
        CPPUNIT_ASSERT(slowStarted.waitFor(1, patience));
        const auto id = scheduler.every(10ms, [&] { fastRuns.notify(); });
        const bool fastKeptRunning = fastRuns.waitFor(3, patience);
        scheduler.cancel(id);
        release.open();
        CPPUNIT_ASSERT(fastKeptRunning);
    }

    void testCancelStopsPeriodicTimer()
    {
        Counter runs;
        WorkerScheduler scheduler(2, 8);
        scheduler.start();
        const auto id = scheduler.every(10ms, [&] { runs.notify(); });
        CPPUNIT_ASSERT(runs.waitFor(3, patience));
        scheduler.cancel(id);
        const int afterCancel = runs.value();
        CPPUNIT_ASSERT_MESSAGE("ran after cancel()", !runs.waitFor(afterCancel + 1, 100ms));
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), scheduler.timerCount());
        scheduler.cancel(id);
        scheduler.cancel(12345);
    }

    void testCancelOneShotBeforeItRuns()
    {
        Counter cancelled, sentinel;
        WorkerScheduler scheduler(1, 8);
        scheduler.start();
        const auto id = scheduler.after(40ms, [&] { cancelled.notify(); });
        scheduler.after(80ms, [&] { sentinel.notify(); });
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), scheduler.timerCount());
        scheduler.cancel(id);
        CPPUNIT_ASSERT(sentinel.waitFor(1, patience));
        CPPUNIT_ASSERT_EQUAL(0, cancelled.value());
    }

    void testCancelFromInsideOwnTask()
    {
        std::promise<Scheduler::TimerId> idPromise;
        std::shared_future<Scheduler::TimerId> id = idPromise.get_future().share();
        Counter runs;
        WorkerScheduler scheduler(2, 8);
        scheduler.start();
        const auto timerId = scheduler.every(10ms, [&] {
            runs.notify();
            if (runs.value() == 2)
                scheduler.cancel(id.get());
        });
        idPromise.set_value(timerId);
        CPPUNIT_ASSERT(runs.waitFor(2, patience));
        CPPUNIT_ASSERT_MESSAGE("ran after cancelling itself", !runs.waitFor(3, 100ms));
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), scheduler.timerCount());
    }

    void testCancelWaitsForRunningRun()
    {
        Gate release;
        Counter started;
        std::atomic<bool> finished{false};
        WorkerScheduler scheduler(2, 8);
        scheduler.start();
        const auto id = scheduler.after(0ms, [&] {
            started.notify();
            release.pass();
            finished = true;
        });
        CPPUNIT_ASSERT(started.waitFor(1, patience));
        auto cancelled = std::async(std::launch::async, [&] { scheduler.cancel(id); });
        const bool returnedEarly = cancelled.wait_for(100ms) == std::future_status::ready;
        release.open();
        cancelled.get();
        CPPUNIT_ASSERT_MESSAGE("cancel() returned while the run was in progress", !returnedEarly);
        CPPUNIT_ASSERT(finished);
    }

    void testSubmitReturnsFalseWhenQueueIsFull()
    {
        Gate release;
        Counter blocking, done;
        WorkerScheduler scheduler(1, 2);
        scheduler.start();
        CPPUNIT_ASSERT(scheduler.submit([&] {
            blocking.notify();
            release.pass();
        }));
        CPPUNIT_ASSERT(blocking.waitFor(1, patience));
        CPPUNIT_ASSERT(scheduler.submit([&] { done.notify(); }));
        CPPUNIT_ASSERT(scheduler.submit([&] { done.notify(); }));
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), scheduler.queuedCount());
        CPPUNIT_ASSERT(!scheduler.submit([&] { done.notify(); }));
        CPPUNIT_ASSERT(!scheduler.submit([&] { done.notify(); }));
        release.open();
        CPPUNIT_ASSERT(done.waitFor(2, patience));
        CPPUNIT_ASSERT(scheduler.submit([&] { done.notify(); }));
        CPPUNIT_ASSERT(done.waitFor(3, patience));
        CPPUNIT_ASSERT_MESSAGE("a refused task ran", !done.waitFor(4, 50ms));
    }

    void testThrowingTaskDoesNotKillWorker()
    {
        CapturedLog log("scheduler");
        Counter after, timerRuns;
        WorkerScheduler scheduler(1, 8);
        scheduler.start();
        CPPUNIT_ASSERT(scheduler.submit([] { throw std::runtime_error("task exploded"); }));
        CPPUNIT_ASSERT(scheduler.submit([] { throw 42; }));
        CPPUNIT_ASSERT(scheduler.submit([&] { after.notify(); }));
        CPPUNIT_ASSERT(after.waitFor(1, patience));

        const auto id = scheduler.every(10ms, [&] {
            timerRuns.notify();
            throw std::runtime_error("timer exploded");
        });
        CPPUNIT_ASSERT_MESSAGE("a throwing periodic task must keep its schedule",
                               timerRuns.waitFor(3, patience));
        scheduler.cancel(id);

        const auto errors = log.errors();
        CPPUNIT_ASSERT(errors.size() >= 5);
        CPPUNIT_ASSERT(errors[0].find("task exploded") != std::string::npos);
        CPPUNIT_ASSERT(errors[1].find("unknown exception") != std::string::npos);
        CPPUNIT_ASSERT(errors[2].find("timer exploded") != std::string::npos);
    }

    void testStopLetsRunningTaskFinishAndDropsQueued()
    {
        Gate release;
        Counter started, queuedRuns, timerRuns;
        std::atomic<bool> finished{false};
        WorkerScheduler scheduler(1, 8);
        scheduler.start();
        CPPUNIT_ASSERT(scheduler.submit([&] {
            started.notify();
            release.pass();
            finished = true;
        }));
        CPPUNIT_ASSERT(started.waitFor(1, patience));
        for (int i = 0; i < 3; ++i)
            CPPUNIT_ASSERT(scheduler.submit([&] { queuedRuns.notify(); }));
        scheduler.after(0ms, [&] { timerRuns.notify(); });
        scheduler.every(5ms, [&] { timerRuns.notify(); });

        auto stopped = std::async(std::launch::async, [&] { scheduler.stop(); });
        const bool returnedEarly = stopped.wait_for(100ms) == std::future_status::ready;
        release.open();
        CPPUNIT_ASSERT(stopped.wait_for(patience) == std::future_status::ready);
        stopped.get();

        CPPUNIT_ASSERT_MESSAGE("stop() returned before the running task finished", !returnedEarly);
        CPPUNIT_ASSERT(finished);
        CPPUNIT_ASSERT_EQUAL(0, queuedRuns.value());
        CPPUNIT_ASSERT_EQUAL(0, timerRuns.value());
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), scheduler.queuedCount());
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), scheduler.timerCount());

        CPPUNIT_ASSERT(!scheduler.submit([&] { queuedRuns.notify(); }));
        CPPUNIT_ASSERT_EQUAL(Scheduler::TimerId(0), scheduler.after(0ms, [] {}));
        CPPUNIT_ASSERT_EQUAL(Scheduler::TimerId(0), scheduler.every(1ms, [] {}));
        scheduler.stop();
    }

    void testNothingRunsBeforeStart()
    {
        Counter runs;
        WorkerScheduler scheduler(2, 4);
        CPPUNIT_ASSERT(scheduler.submit([&] { runs.notify(); }));
        CPPUNIT_ASSERT(scheduler.after(0ms, [&] { runs.notify(); }) != 0);
        CPPUNIT_ASSERT_MESSAGE("ran before start()", !runs.waitFor(1, 50ms));
        scheduler.start();
        scheduler.start();
        CPPUNIT_ASSERT(runs.waitFor(2, patience));
    }

    void testStopFromTaskIsRefused()
    {
        Counter refused;
        WorkerScheduler scheduler(1, 4);
        scheduler.start();
        scheduler.submit([&] {
            try {
                scheduler.stop();
            } catch (const std::logic_error&) {
                refused.notify();
            }
        });
        CPPUNIT_ASSERT(refused.waitFor(1, patience));
    }

    void testLifecycleAndArguments()
    {
        CPPUNIT_ASSERT_THROW(WorkerScheduler(0, 4), std::invalid_argument);
        CPPUNIT_ASSERT_THROW(WorkerScheduler(1, 0), std::invalid_argument);

        WorkerScheduler scheduler(1, 4);
        CPPUNIT_ASSERT_THROW(scheduler.every(0ms, [] {}), std::invalid_argument);
        CPPUNIT_ASSERT_THROW(scheduler.every(-5ms, [] {}), std::invalid_argument);
        CPPUNIT_ASSERT_THROW(scheduler.submit(Scheduler::Task()), std::invalid_argument);
        CPPUNIT_ASSERT_THROW(scheduler.after(1ms, Scheduler::Task()), std::invalid_argument);

        scheduler.stop();
        scheduler.stop();
        CPPUNIT_ASSERT_THROW(scheduler.start(), std::logic_error);

        Counter ran;
        {
            WorkerScheduler destroyedRunning(2, 4);
            destroyedRunning.start();
            destroyedRunning.every(1ms, [&] { ran.notify(); });
            CPPUNIT_ASSERT(ran.waitFor(1, patience));
        }
        const int afterDestruction = ran.value();
        CPPUNIT_ASSERT(!ran.waitFor(afterDestruction + 1, 30ms));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(WorkerSchedulerTest);
