#include "ChildProcess.h"
#include "SanitizerReportListener.h"
#include "SanitizerReports.h"
#include "TempDir.h"
#include "TestPaths.h"

#include <cppunit/TestCase.h>
#include <cppunit/TestFailure.h>
#include <cppunit/TestResult.h>
#include <cppunit/TestResultCollector.h>
#include <cppunit/extensions/HelperMacros.h>

#include <cstdlib>
#include <map>
#include <optional>
#include <sys/wait.h>

using comfygate::test::SanitizerReports;
using comfygate::test::TempDir;

namespace {

const char* const optionVariables[] = {"ASAN_OPTIONS", "LSAN_OPTIONS", "UBSAN_OPTIONS", "TSAN_OPTIONS"};

/// Sets (or unsets, with nullopt) environment variables for one test and puts them back after it.
class ScopedEnvironment
{
public:
    void set(const std::string& name, const std::optional<std::string>& value)
    {
        if (_saved.count(name) == 0) {
            const char* before = std::getenv(name.c_str());
            _saved[name] = before ? std::optional<std::string>(before) : std::nullopt;
        }
        apply(name, value);
    }

    ~ScopedEnvironment()
    {
        for (const auto& [name, value] : _saved)
            apply(name, value);
    }

private:
    static void apply(const std::string& name, const std::optional<std::string>& value)
    {
        if (value)
            ::setenv(name.c_str(), value->c_str(), 1);
        else
            ::unsetenv(name.c_str());
    }

    std::map<std::string, std::optional<std::string>> _saved;
};

} // namespace

/// The path of a sanitizer report from a child process to the test that started it: what
/// ServerProcess does for every comfygate of a sanitizer build (scripts/dev test --sanitize).
class SanitizerReportsTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(SanitizerReportsTest);
    CPPUNIT_TEST(testChildReportIsCollectedFromItsLogFile);
    CPPUNIT_TEST(testCleanChildLeavesNoReport);
    CPPUNIT_TEST(testNothingIsForwardedWithoutSanitizerOptions);
    CPPUNIT_TEST(testCollectedReportFailsTheRunningTest);
    CPPUNIT_TEST_SUITE_END();

public:
    void testChildReportIsCollectedFromItsLogFile()
    {
        ScopedEnvironment environment;
        // As in the tests of a sanitizer build, where CTest sets them (tests/CMakeLists.txt).
        const std::string variable = threadBuild() ? "TSAN_OPTIONS" : "ASAN_OPTIONS";
        const char* options = std::getenv(variable.c_str());
        environment.set(variable, std::string(options ? options : "") + (options && *options ? ":" : "") +
                                      "log_path=/dev/stderr");

        TempDir temp;
        const std::string prefix = temp.file("sanitizer");
        const auto forwarded = SanitizerReports::childEnvironment(prefix);
        const std::string expectedEnd = ":log_path=" + prefix;
        bool found = false;
        for (const auto& entry : forwarded) {
            if (entry.rfind(variable + "=", 0) == 0) {
                found = true;
                // The log path this process had is overridden by the one given for the child.
                CPPUNIT_ASSERT_EQUAL(expectedEnd, entry.substr(entry.size() - expectedEnd.size()));
            }
        }
        CPPUNIT_ASSERT_MESSAGE(variable + " is not forwarded", found);

        const auto [pid, status] = runChild(threadBuild() ? "race" : "leak", forwarded, temp);
        CPPUNIT_ASSERT_MESSAGE("the finding ends the child with a failing status", status != 0);
        const std::string report = SanitizerReports::collect(prefix, pid);
        const std::string finding = threadBuild() ? "ThreadSanitizer: data race" : "LeakSanitizer";
        CPPUNIT_ASSERT_MESSAGE("no " + finding + " in: " + report, report.find(finding) != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE("the report went to the file, not the child's stderr",
                               comfygate::test::fileText(temp.file("err")).find(finding) == std::string::npos);

        // Remembered for the listener of TestMain.cpp, which would fail this test with it.
        const auto collected = SanitizerReports::takeCollected();
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), collected.size());
        CPPUNIT_ASSERT(collected[0].find("(pid " + std::to_string(pid) + ")") != std::string::npos);
        CPPUNIT_ASSERT(collected[0].find(finding) != std::string::npos);
        CPPUNIT_ASSERT(SanitizerReports::takeCollected().empty());
    }

    void testCleanChildLeavesNoReport()
    {
        ScopedEnvironment environment;
        const std::string variable = threadBuild() ? "TSAN_OPTIONS" : "ASAN_OPTIONS";
        if (std::getenv(variable.c_str()) == nullptr)
            environment.set(variable, std::string());
        TempDir temp;
        const std::string prefix = temp.file("sanitizer");
        // Without a mode the child prints its usage and exits 2, with nothing to report.
        const auto [pid, status] = runChild("", SanitizerReports::childEnvironment(prefix), temp);
        CPPUNIT_ASSERT_EQUAL(2, status);
        CPPUNIT_ASSERT_EQUAL(std::string(), SanitizerReports::collect(prefix, pid));
        CPPUNIT_ASSERT(SanitizerReports::takeCollected().empty());
    }

    void testNothingIsForwardedWithoutSanitizerOptions()
    {
        ScopedEnvironment environment;
        for (const char* name : optionVariables)
            environment.set(name, std::nullopt);
        CPPUNIT_ASSERT(SanitizerReports::childEnvironment("/tmp/unused").empty());
    }

    void testCollectedReportFailsTheRunningTest()
    {
        ScopedEnvironment environment;
        const std::string variable = threadBuild() ? "TSAN_OPTIONS" : "ASAN_OPTIONS";
        if (std::getenv(variable.c_str()) == nullptr)
            environment.set(variable, std::string());

        // A test that passes its own checks but whose child had a finding, run as TestMain.cpp runs one.
        class ChildWithFinding : public CppUnit::TestCase
        {
        public:
            ChildWithFinding() : CppUnit::TestCase("ChildWithFinding") {}
            void runTest() override
            {
                TempDir temp;
                const std::string prefix = temp.file("sanitizer");
                const auto [pid, status] =
                    runChild(threadBuild() ? "race" : "leak", SanitizerReports::childEnvironment(prefix), temp);
                SanitizerReports::collect(prefix, pid);
            }
        } test;
        CppUnit::TestResult controller;
        CppUnit::TestResultCollector result;
        controller.addListener(&result);
        comfygate::test::SanitizerReportListener listener(controller);
        controller.addListener(&listener);
        test.run(&controller);

        CPPUNIT_ASSERT_EQUAL(1, result.testFailuresTotal());
        const std::string message = result.failures().front()->thrownException()->what();
        CPPUNIT_ASSERT_MESSAGE(message, message.find(threadBuild() ? "ThreadSanitizer" : "LeakSanitizer") !=
                                            std::string::npos);
        CPPUNIT_ASSERT(SanitizerReports::takeCollected().empty());
    }

private:
    static bool threadBuild()
    {
#if defined(__SANITIZE_THREAD__)
        return true;
#else
        return false;
#endif
    }

    static std::pair<pid_t, int> runChild(const std::string& mode, const std::vector<std::string>& sanitizerEnvironment,
                                          TempDir& temp)
    {
        std::vector<std::string> args{COMFYGATE_BUILD_DIR "/bin/sanitizer-report-child"};
        if (!mode.empty())
            args.push_back(mode);
        std::vector<std::string> environment{"PATH=/usr/bin:/bin"};
        environment.insert(environment.end(), sanitizerEnvironment.begin(), sanitizerEnvironment.end());
        const pid_t pid = comfygate::test::spawnProcess(args, environment, temp.write("in", ""), temp.file("out"),
                                                        temp.file("err"));
        int status = 0;
        ::waitpid(pid, &status, 0);
        return {pid, WIFEXITED(status) ? WEXITSTATUS(status) : -1};
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SanitizerReportsTest);
