#pragma once

#include <Poco/Process.h>

#include <string>

namespace comfygate::test {

/// One of the playwright-core scripts of tests/browser run in Debian's chromium, the way every
/// browser suite runs them: node under timeout(1), the script's output kept for the failure
/// message, and its protocol checked (tests/browser/harness.mjs: "<name>: all steps passed"
/// and status 0).
class BrowserScript
{
public:
    /// The browser and the driver must be there: a browser suite never passes by not running.
    static void assertInstalled();

    /// Runs tests/browser/<name>.mjs with `env` (GATEWAY_URL, users, ...), adding PLAYWRIGHT_DIR,
    /// CHROMIUM and SCREENSHOT_DIR (<build>/screenshots); `timeoutSeconds` bounds a hung browser
    /// (the scripts' own steps time out after 20 s each). `label` names the run in a failure.
    static void run(const std::string& name, Poco::Process::Env env, int timeoutSeconds, const std::string& label = "");

    static std::string chromium();
    static const std::string& playwrightDir();
};

} // namespace comfygate::test
