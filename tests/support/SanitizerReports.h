#pragma once

#include <string>
#include <sys/types.h>
#include <vector>

namespace comfygate::test {

/// What AddressSanitizer, LeakSanitizer, UBSan or ThreadSanitizer reported in a child process
/// (the real binary) of a test of a sanitizer build (`scripts/dev test --sanitize ...`).
///
/// A child writes its reports to files instead of its stderr, which tests read as output:
/// childEnvironment() passes this test process's *SAN_OPTIONS on with `log_path=<prefix>`, and
/// the sanitizer runtime appends the child's pid (`<prefix>.<pid>`). When the child has exited,
/// collect() returns that file's text and remembers it, so a report fails the test even when
/// nothing else notices it (a leak at exit, a race that did not change an answer): TestMain.cpp
/// turns every remembered report into a failure of the test that was running, or of the test
/// program when the child ended with its fixture after the last test.
/// In an unsanitized build none of the variables is set and all of this does nothing.
class SanitizerReports
{
public:
    /// "NAME=<options>:log_path=<prefix>" for each sanitizer option variable set in this process.
    static std::vector<std::string> childEnvironment(const std::string& prefix);

    /// The report the exited child `pid` wrote under `prefix` ("" when none); a report is also
    /// remembered for takeCollected().
    static std::string collect(const std::string& prefix, pid_t pid);

    /// Every report collected since the last call, each headed by the child's pid; cleared.
    static std::vector<std::string> takeCollected();
};

} // namespace comfygate::test
