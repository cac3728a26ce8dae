#include "BrowserScript.h"

#include "TestPaths.h"

#include <Poco/Environment.h>
#include <Poco/File.h>
#include <Poco/Path.h>
#include <Poco/PipeStream.h>
#include <Poco/StreamCopier.h>

#include <cppunit/extensions/HelperMacros.h>

namespace comfygate::test {

std::string BrowserScript::chromium()
{
    return Poco::Environment::get("COMFYGATE_CHROMIUM", "/usr/bin/chromium");
}

const std::string& BrowserScript::playwrightDir()
{
    static const std::string dir = COMFYGATE_BUILD_DIR "/playwright-core";
    return dir;
}

void BrowserScript::assertInstalled()
{
    CPPUNIT_ASSERT_MESSAGE("chromium is not installed at " + chromium() + ": run scripts/dev deps",
                           Poco::File(chromium()).exists());
    CPPUNIT_ASSERT_MESSAGE("playwright-core is not installed in " + playwrightDir() + ": run scripts/dev deps",
                           Poco::File(playwrightDir() + "/node_modules/playwright-core/package.json").exists());
}

void BrowserScript::run(const std::string& name, Poco::Process::Env env, int timeoutSeconds, const std::string& label)
{
    Poco::Path node;
    CPPUNIT_ASSERT_MESSAGE("node is not on the PATH: run scripts/dev deps",
                           Poco::Path::find(Poco::Environment::get("PATH", ""), "node", node));
    env["PLAYWRIGHT_DIR"] = playwrightDir();
    env["CHROMIUM"] = chromium();
    env["SCREENSHOT_DIR"] = COMFYGATE_BUILD_DIR "/screenshots";
    const std::string script = "tests/browser/" + name + ".mjs";
    const Poco::Process::Args args{std::to_string(timeoutSeconds), node.toString(), COMFYGATE_SOURCE_DIR "/" + script};
    Poco::Pipe output;
    auto process =
        Poco::Process::launch("/usr/bin/timeout", args, COMFYGATE_SOURCE_DIR, nullptr, &output, &output, env);
    Poco::PipeInputStream stream(output);
    std::string text;
    Poco::StreamCopier::copyToString(stream, text);
    const int status = process.wait();
    const std::string what = script + (label.empty() ? "" : " (" + label + ")");
    CPPUNIT_ASSERT_EQUAL_MESSAGE(what + ":\n" + text, 0, status);
    CPPUNIT_ASSERT_MESSAGE(what + ":\n" + text, text.find(name + ": all steps passed") != std::string::npos);
}

} // namespace comfygate::test
