#include "LuaSandbox.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

#include <cppunit/extensions/HelperMacros.h>

#include <sstream>

using comfygate::LuaSandbox;
using comfygate::PolicyLimits;
using comfygate::Verdict;
using Poco::Dynamic::Var;

namespace {

std::string stringify(const Var& value)
{
    std::ostringstream out;
    Poco::JSON::Stringifier::condense(value, out);
    return out.str();
}

std::shared_ptr<const LuaSandbox::Libraries> noLibraries()
{
    return std::make_shared<LuaSandbox::Libraries>();
}

} // namespace

class LuaSandboxTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(LuaSandboxTest);
    CPPUNIT_TEST(testScriptsHaveSeparateEnvironments);
    CPPUNIT_TEST(testEnvironmentIsProtected);
    CPPUNIT_TEST(testLimitsApplyPerScriptAtLoad);
    CPPUNIT_TEST(testHandlerCounts);
    CPPUNIT_TEST(testMemoryIsAccounted);
    CPPUNIT_TEST(testUnsupportedInputThrows);
    CPPUNIT_TEST(testDeepInputThrows);
    CPPUNIT_TEST(testSelfReferencingResultFails);
    CPPUNIT_TEST(testCompileReportsSyntaxErrors);
    CPPUNIT_TEST(testModifiedRequestKeepsWhatLuaCannotHold);
    CPPUNIT_TEST(testChangedValuesWin);
    CPPUNIT_TEST_SUITE_END();

public:
    void testScriptsHaveSeparateEnvironments()
    {
        LuaSandbox sandbox({}, {}, {"h"}, noLibraries());
        CPPUNIT_ASSERT_EQUAL(std::string(),
                             sandbox.loadScript("a.lua", "shared = 1\n"
                                                         "string.upper = nil\n"
                                                         "math = nil\n"
                                                         "policy.on('h', function(s, r)\n"
                                                         "  r.a = shared\n"
                                                         "  return r\n"
                                                         "end)\n"));
        CPPUNIT_ASSERT_EQUAL(std::string(),
                             sandbox.loadScript("b.lua", "policy.on('h', function(s, r)\n"
                                                         "  r.b = shared\n"
                                                         "  r.upper = type(string.upper)\n"
                                                         "  r.floor = type(math.floor)\n"
                                                         "  r.G = _G == _ENV\n"
                                                         "  return r\n"
                                                         "end)\n"));
        const Verdict verdict = sandbox.callHook("h", Var(), Poco::JSON::Parser().parse("{}"));
        CPPUNIT_ASSERT_MESSAGE(verdict.error, !verdict.failed);
        CPPUNIT_ASSERT_EQUAL(
            std::string(R"({"G":true,"a":1,"floor":"function","upper":"function"})"),
            stringify(verdict.value));
    }

    void testEnvironmentIsProtected()
    {
        LuaSandbox sandbox({}, {}, {"h"}, noLibraries());
        CPPUNIT_ASSERT_EQUAL(std::string(),
                             sandbox.loadScript("a.lua", "assert(getmetatable(_ENV) == false)\n"
                                                         "assert(getmetatable(policy.settings))\n"
                                                         "assert(getmetatable('') == 'string')\n"));
        const std::string error =
            sandbox.loadScript("b.lua", "\nsetmetatable(_ENV, {__index = function() end})\n");
        CPPUNIT_ASSERT_EQUAL(std::string("b.lua:2: cannot change a protected metatable"), error);
    }

    void testLimitsApplyPerScriptAtLoad()
    {
        PolicyLimits limits;
        limits.instructionsPerCall = 100'000;
        LuaSandbox sandbox(limits, {}, {}, noLibraries());
        // Each script uses about 60 % of the budget: the budget is per script, not per state.
        const std::string busy = "local n = 0\nfor i = 1, 30000 do n = n + i end\n";
        CPPUNIT_ASSERT_EQUAL(std::string(), sandbox.loadScript("a.lua", busy));
        CPPUNIT_ASSERT_EQUAL(std::string(), sandbox.loadScript("b.lua", busy));
        const std::string error =
            sandbox.loadScript("c.lua", "local n = 0\nfor i = 1, 1e9 do n = n + i end\n");
        CPPUNIT_ASSERT_EQUAL(std::string("c.lua:2: instruction budget of 100000 exceeded"), error);
    }

    void testHandlerCounts()
    {
        LuaSandbox sandbox({}, {}, {"view", "prompt", "groups"}, noLibraries());
        sandbox.loadScript("a.lua", "policy.on('view', function() end)\n"
                                    "policy.on('view', function() end)\n"
                                    "policy.on('prompt', function() end)\n");
        const auto counts = sandbox.handlerCounts();
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), counts.size());
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), counts.at("view"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), counts.at("prompt"));
    }

    void testMemoryIsAccounted()
    {
        LuaSandbox sandbox({}, {}, {"h"}, noLibraries());
        const std::size_t empty = sandbox.memoryUsed();
        CPPUNIT_ASSERT(empty > 0);
        sandbox.loadScript("a.lua", "local keep = {}\n"
                                    "for i = 1, 10000 do keep[i] = i end\n"
                                    "policy.on('h', function() return #keep end)\n");
        CPPUNIT_ASSERT(sandbox.memoryUsed() > empty + 10000 * 8);
    }

    void testUnsupportedInputThrows()
    {
        LuaSandbox sandbox({}, {}, {"h"}, noLibraries());
        sandbox.loadScript("a.lua", "policy.on('h', function() end)\n");
        CPPUNIT_ASSERT_THROW(sandbox.callHook("h", Var(std::vector<int>{1, 2}), Var()),
                             std::invalid_argument);
        // The state stays usable.
        CPPUNIT_ASSERT(!sandbox.callHook("h", Var(), Var()).failed);
    }

    void testDeepInputThrows()
    {
        LuaSandbox sandbox({}, {}, {"h"}, noLibraries());
        sandbox.loadScript("a.lua", "policy.on('h', function() end)\n");
        std::string deep;
        for (int i = 0; i < 100; ++i)
            deep += "[";
        for (int i = 0; i < 100; ++i)
            deep += "]";
        CPPUNIT_ASSERT_THROW(sandbox.callHook("h", Var(), Poco::JSON::Parser().parse(deep)),
                             std::invalid_argument);
    }

    void testSelfReferencingResultFails()
    {
        LuaSandbox sandbox({}, {}, {"h"}, noLibraries());
        sandbox.loadScript("loop.lua", "policy.on('h', function()\n"
                                       "  local t = {}\n"
                                       "  t.self = t\n"
                                       "  return t\n"
                                       "end)\n");
        const Verdict verdict = sandbox.callHook("h", Var(), Var());
        CPPUNIT_ASSERT(verdict.failed);
        CPPUNIT_ASSERT_MESSAGE(verdict.error,
                               verdict.error.find("loop.lua:1:") == 0 &&
                                   verdict.error.find("contains itself") != std::string::npos);
    }

    void testCompileReportsSyntaxErrors()
    {
        LuaSandbox sandbox({}, {}, {}, noLibraries());
        CPPUNIT_ASSERT_EQUAL(std::string(), sandbox.compile("lib/ok.lua", "return {}\n"));
        const std::string error = sandbox.compile("lib/bad.lua", "return {\n\n");
        CPPUNIT_ASSERT_MESSAGE(error, error.find("lib/bad.lua:3:") == 0);
    }

    // A hook that edits one text of a prompt must not change the rest of it: a seed above
    // 2^63 - 1 reached Lua as a float and came back as 1.8446744073709552e19 (ComfyUI refuses
    // it), a null element vanished and moved the later ones up, a null member was dropped
    // (fuzz finding 3 of lua_policy_inputs).
    void testModifiedRequestKeepsWhatLuaCannotHold()
    {
        LuaSandbox sandbox({}, {}, {"prompt"}, noLibraries());
        sandbox.loadScript("edit.lua", "policy.on('prompt', function(subject, request)\n"
                                       "  request.prompt['6'].inputs.text = 'a cat, safe'\n"
                                       "  return request\n"
                                       "end)\n");
        const std::string body =
            R"({"client_id":null,"prompt":{"3":{"class_type":"KSampler","inputs":{"seed":18446744073709551615,)"
            R"("model":["4",0],"steps":20}},"4":{"class_type":"Loader","inputs":{"names":["a",null,"c",null]}},)"
            R"("6":{"class_type":"CLIPTextEncode","inputs":{"clip":["4",1],"text":"a cat"}}}})";
        const Verdict verdict = sandbox.callHook("prompt", Var(), Poco::JSON::Parser().parse(body));
        CPPUNIT_ASSERT_MESSAGE(verdict.error, verdict.decision == Verdict::Decision::Modify);
        std::string expected = body;
        expected.replace(expected.find("\"a cat\""), 7, "\"a cat, safe\"");
        CPPUNIT_ASSERT_EQUAL(stringify(Poco::JSON::Parser().parse(expected)), stringify(verdict.value));
    }

    // What the script changed is taken as it left it, also where an original value is restored
    // elsewhere: a new number replaces the big seed, a shortened array loses its nulls.
    void testChangedValuesWin()
    {
        LuaSandbox sandbox({}, {}, {"prompt"}, noLibraries());
        sandbox.loadScript("edit.lua", "policy.on('prompt', function(subject, request)\n"
                                       "  request.seed = 42\n"
                                       "  table.remove(request.names, 1)\n"
                                       "  request.gone = nil\n"
                                       "  return request\n"
                                       "end)\n");
        const Verdict verdict = sandbox.callHook(
            "prompt", Var(),
            Poco::JSON::Parser().parse(R"({"seed":18446744073709551615,"names":["a",null,"c"],"gone":1,"kept":null})"));
        CPPUNIT_ASSERT_MESSAGE(verdict.error, verdict.decision == Verdict::Decision::Modify);
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"kept":null,"names":["c"],"seed":42})"), stringify(verdict.value));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(LuaSandboxTest);
