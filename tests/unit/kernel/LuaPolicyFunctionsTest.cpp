// The Lua bindings of the policy functions (policy.now, localtime, counter, kv, notify, http,
// tag) in a LuaSandbox with recording effects: what reaches the effects, what scripts get
// back, and the Lua errors for misuse, which carry file:line and the function's name.
#include "LuaSandbox.h"
#include "RecordingPolicyEffects.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

#include <cppunit/extensions/HelperMacros.h>

#include <sstream>

using comfygate::LuaSandbox;
using comfygate::PolicyLimits;
using comfygate::Verdict;
using comfygate::test::RecordingPolicyEffects;
using Poco::Dynamic::Var;

namespace {

std::string stringify(const Var& value)
{
    std::ostringstream out;
    Poco::JSON::Stringifier::condense(value, out);
    return out.str();
}

const std::set<std::string> hooks{"h", "event"};

} // namespace

class LuaPolicyFunctionsTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(LuaPolicyFunctionsTest);
    CPPUNIT_TEST(effectsAreRefusedAtTopLevel);
    CPPUNIT_TEST(effectsAreRefusedWithoutEffects);
    CPPUNIT_TEST(clockWorksAtTopLevelToo);
    CPPUNIT_TEST(counterCountsAndExpires);
    CPPUNIT_TEST(counterArgumentsAreChecked);
    CPPUNIT_TEST(kvRoundTripsValues);
    CPPUNIT_TEST(kvMisuseIsAnError);
    CPPUNIT_TEST(notifyQueuesFieldsAsJson);
    CPPUNIT_TEST(notifyUnknownChannelIsAnError);
    CPPUNIT_TEST(httpOnlyInTheEventHook);
    CPPUNIT_TEST(httpSendsAndParsesJson);
    CPPUNIT_TEST(httpArgumentsAreChecked);
    CPPUNIT_TEST(tagOnlyInTheEventHook);
    CPPUNIT_TEST(localtimeUsesTheZone);
    CPPUNIT_TEST(failuresOfEffectsBecomeLuaErrors);
    CPPUNIT_TEST(eventHookHasItsOwnDeadline);
    CPPUNIT_TEST(scriptsCannotReplaceAnotherScriptsFunctions);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override { _effects = std::make_shared<RecordingPolicyEffects>(); }

    void effectsAreRefusedAtTopLevel()
    {
        for (const std::string call : {"policy.counter('a', 'b')", "policy.kv.get('u', 'k')",
                                       "policy.notify('ops', 'hi')", "policy.http{url='http://x/'}",
                                       "policy.tag({filename='a.png'}, {'nsfw'})"}) {
            LuaSandbox sandbox({}, {}, hooks, libraries(), _effects);
            const std::string error = sandbox.loadScript("top.lua", "local x = 1\n" + call + "\n");
            CPPUNIT_ASSERT_MESSAGE(error, error.find("top.lua:2: policy.") == 0);
            CPPUNIT_ASSERT_MESSAGE(error, error.find("works inside handlers only") != std::string::npos);
        }
    }

    void effectsAreRefusedWithoutEffects()
    {
        LuaSandbox sandbox({}, {}, hooks, libraries());
        const Verdict verdict = run(sandbox, "h", "policy.kv.get('u', 'k')");
        CPPUNIT_ASSERT(verdict.failed);
        CPPUNIT_ASSERT_MESSAGE(verdict.error, verdict.error.find("t.lua:2: policy.kv.get is not available here") == 0);
    }

    void clockWorksAtTopLevelToo()
    {
        _effects->clock = 1234567;
        LuaSandbox sandbox({}, {}, hooks, libraries(), _effects);
        CPPUNIT_ASSERT_EQUAL(std::string(), sandbox.loadScript("a.lua", "assert(policy.now() == 1234567)\n"
                                                                        "assert(policy.localtime().year == 1970)\n"));
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"now":1234567})"), result("h", "return {now = policy.now()}"));
    }

    void counterCountsAndExpires()
    {
        const char* body = "local c = policy.counter('prompts.hour', s.user)\n"
                           "return {a = c:incr(1, 60), b = c:incr(2, 60), c = c:incr(nil, 60), get = c:get(),\n"
                           "        other = policy.counter('prompts.hour', 'other'):get(), text = tostring(c)}";
        CPPUNIT_ASSERT_EQUAL(std::string(R"x({"a":1,"b":3,"c":4,"get":4,"other":0,"text":"policy.counter(prompts.hour, ann)"})x"),
                             result("h", body));
        _effects->clock += 59;
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"get":4})"),
                             result("h", "return {get = policy.counter('prompts.hour', s.user):get()}"));
        _effects->clock += 1;
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"get":0,"incr":5})"),
                             result("h",
                                    "local c = policy.counter('prompts.hour', s.user)\n"
                                    "return {get = c:get(), incr = c:incr(5, 60)}"));
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"get":0})"),
                             result("h",
                                    "local c = policy.counter('prompts.hour', s.user)\n"
                                    "c:reset()\nreturn {get = c:get()}"));
    }

    void counterArgumentsAreChecked()
    {
        expectError("h", "policy.counter('Bad Name', 'k')",
                    "t.lua:2: policy.counter: name must be 1..64 characters of a-z, 0-9, _, . and - (got 'Bad Name')");
        expectError("h", "policy.counter('a', string.rep('k', 257))",
                    "t.lua:2: policy.counter: key must be 1..256 bytes (got 257)");
        expectError("h", "policy.counter('a', {})", "t.lua:2: policy.counter: key must be a string (got table)");
        expectError("h", "policy.counter('a', 'k'):incr(1)",
                    "t.lua:2: policy.counter: incr needs a ttl in seconds (c:incr(n, ttl_seconds)), 1..31536000");
        expectError("h", "policy.counter('a', 'k'):incr(1, 0)",
                    "t.lua:2: policy.counter: ttl must be an integer in 1..31536000");
        expectError("h", "policy.counter('a', 'k'):incr(1.5, 10)",
                    "t.lua:2: policy.counter: incr's n must be an integer in -1000000000..1000000000");
        expectError("h", "local c = policy.counter('a', 'k')\n  c.incr(1, 10)",
                    "t.lua:3: policy.counter: call incr with a colon on a counter (c:incr(...))");
        expectError("h", "local c = policy.counter('a', 'k')\n  c.x = 1", "attempt to index");
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"meta":"policy.counter"})"),
                             result("h", "return {meta = getmetatable(policy.counter('a', 'k'))}"));
    }

    void kvRoundTripsValues()
    {
        CPPUNIT_ASSERT_EQUAL(std::string("[]"), result("h",
                                                       "policy.kv.set(s.user, 'list', {1, 'two', true})\n"
                                                       "policy.kv.set(s.user, 'text', 'hello')\n"
                                                       "policy.kv.set(42, 'n', 7.5)\n"
                                                       "policy.kv.set(s.user, 'gone', false)\n"
                                                       "policy.kv.delete(s.user, 'gone')\n"
                                                       "return {}"));
        CPPUNIT_ASSERT_EQUAL(std::string("[1,\"two\",true]"), _effects->kv.at({"ann", "list"}));
        CPPUNIT_ASSERT_EQUAL(std::string("\"hello\""), _effects->kv.at({"ann", "text"}));
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), _effects->kv.size());
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"list":[1,"two",true],"missing":true,"n":7.5,"text":"hello"})"),
                             result("h",
                                    "return {list = policy.kv.get(s.user, 'list'), text = policy.kv.get(s.user, 'text'),\n"
                                    "        n = policy.kv.get('42', 'n'), missing = policy.kv.get(s.user, 'gone') == nil}"));
    }

    void kvMisuseIsAnError()
    {
        expectError("h", "policy.kv.set(s.user, 'k', nil)",
                    "t.lua:2: policy.kv.set: value must not be nil (use policy.kv.delete to remove a key)");
        expectError("h", "policy.kv.set(s.user, 'k', print)",
                    "t.lua:2: policy.kv.set: value must be a string, number, boolean or table (got function)");
        expectError("h", "policy.kv.set(s.user, 'k', {f = print})",
                    "t.lua:2: policy.kv.set: the value cannot be stored as JSON:");
        expectError("h", "policy.kv.set(s.user, 'k', string.rep('x', 100))",
                    "t.lua:2: policy.kv.set: the value is 102 bytes as JSON; the limit is 64");
        expectError("h", "policy.kv.get('', 'k')", "t.lua:2: policy.kv.get: user must be 1..256 bytes (got 0)");
        expectError("h", "policy.kv.delete('u')", "t.lua:2: policy.kv.delete: key must be a string (got no value)");
    }

    void notifyQueuesFieldsAsJson()
    {
        result("h", "policy.notify('ops', 'prompt by ' .. s.user, {user = s.user, n = 3})\n"
                             "policy.notify('ops', 'plain')\npolicy.notify('ops', 'empty', {})\nreturn {}");
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), _effects->notifications.size());
        CPPUNIT_ASSERT_EQUAL(std::string("prompt by ann"), _effects->notifications[0].message);
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"n":3,"user":"ann"})"), _effects->notifications[0].fieldsJson);
        CPPUNIT_ASSERT_EQUAL(std::string("{}"), _effects->notifications[1].fieldsJson);
        CPPUNIT_ASSERT_EQUAL(std::string("{}"), _effects->notifications[2].fieldsJson);
    }

    void notifyUnknownChannelIsAnError()
    {
        expectError("h", "policy.notify('sales', 'hi')",
                    "t.lua:2: policy.notify: no channel 'sales'; configure policy.channels.sales.url");
        expectError("h", "policy.notify('a.b', 'hi')",
                    "t.lua:2: policy.notify: channel must be 1..64 characters of a-z, 0-9, _ and - (got 'a.b')");
        expectError("h", "policy.notify('ops', 'hi', {1, 2})",
                    "t.lua:2: policy.notify: fields must be a table with string keys, not a list");
        expectError("h", "policy.notify('ops', 'hi', 'x')",
                    "t.lua:2: policy.notify: fields must be a table or nil (got string)");
        CPPUNIT_ASSERT(_effects->notifications.empty());
    }

    void httpOnlyInTheEventHook()
    {
        expectError("h", "policy.http{url = 'http://classifier/'}",
                    "t.lua:2: policy.http is only available in the event hook, which runs after the fact; "
                    "register it with policy.on('event', ...) (this is the 'h' hook)");
        CPPUNIT_ASSERT(_effects->httpCalls.empty());
    }

    void httpSendsAndParsesJson()
    {
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"body":"{\"ok\":true}","ok":true,"status":200})"),
                             result("event",
                                    "local a = policy.http{url = 'http://classifier/x', headers = {['X-Key'] = 'k'},\n"
                                    "                      json = {image = 'a.png'}}\n"
                                    "return {status = a.status, body = a.body, ok = a.json.ok}"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), _effects->httpCalls.size());
        const auto& call = _effects->httpCalls[0];
        CPPUNIT_ASSERT_EQUAL(std::string("POST"), call.method);
        CPPUNIT_ASSERT_EQUAL(std::string("http://classifier/x"), call.url);
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"image":"a.png"})"), call.body);
        CPPUNIT_ASSERT_EQUAL(std::string("application/json"), call.headers.at("Content-Type"));
        CPPUNIT_ASSERT_EQUAL(std::string("k"), call.headers.at("X-Key"));

        _effects->httpAnswer = {404, "text/plain", "nope"};
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"body":"nope","json":false,"method":"GET","status":404})"),
                             result("event",
                                    "local a = policy.http{url = 'http://classifier/y'}\n"
                                    "return {status = a.status, body = a.body, json = a.json ~= nil, method = 'GET'}"));
        CPPUNIT_ASSERT_EQUAL(std::string("GET"), _effects->httpCalls.back().method);
    }

    void httpArgumentsAreChecked()
    {
        expectError("event", "policy.http('http://x/')",
                    "t.lua:2: policy.http: takes one table {url=, method=, headers=, body= or json=} (got string)");
        expectError("event", "policy.http{}", "t.lua:2: policy.http: url must be a string (got nil)");
        expectError("event", "policy.http{url = 'http://x/', body = 'a', json = {}}",
                    "t.lua:2: policy.http: give either body or json, not both");
        expectError("event", "policy.http{url = 'http://x/', method = 'TRACE'}",
                    "t.lua:2: policy.http: method must be one of GET, HEAD, POST, PUT, PATCH, DELETE");
        expectError("event", "policy.http{url = 'http://x/', headers = {['X-A'] = 'a\\r\\nInjected: 1'}}",
                    "t.lua:2: policy.http: headers must be at most 32 name = value strings");
        CPPUNIT_ASSERT(_effects->httpCalls.empty());
    }

    void tagOnlyInTheEventHook()
    {
        expectError("h", "policy.tag({filename = 'a.png'}, {'nsfw'})",
                    "t.lua:2: policy.tag is only available in the event hook");
        expectError("event", "policy.tag({filename = 'a.png'}, {})", "t.lua:2: policy.tag: give 1..32 tags");
        expectError("event", "policy.tag({filename = 'a.png'}, {'bad tag'})",
                    "t.lua:2: policy.tag: tag 1 must be 1..64 characters of letters, digits, _, . and -");
        expectError("event", "policy.tag({}, {'nsfw'})",
                    "t.lua:2: policy.tag: file.filename must be a string of 1..255 bytes");
        result("event", "policy.tag({filename = 'a.png', subfolder = 'x'}, {'nsfw', 'gore'})\nreturn {}");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), _effects->taggings.size());
        CPPUNIT_ASSERT_EQUAL(std::string("a.png"), _effects->taggings[0].filename);
        CPPUNIT_ASSERT_EQUAL(std::string("x"), _effects->taggings[0].subfolder);
        CPPUNIT_ASSERT_EQUAL(std::string("output"), _effects->taggings[0].type);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), _effects->taggings[0].tags.size());
    }

    void localtimeUsesTheZone()
    {
        _effects->clock = 1719838800; // 2024-07-01 13:00:00 UTC, a Monday
        CPPUNIT_ASSERT_EQUAL(
            std::string(R"({"day":1,"hour":15,"isdst":true,"min":0,"month":7,"offset":7200,"sec":0,"wday":2,"yday":183,"year":2024,"zone":"Europe/Berlin"})"),
            result("h", "return policy.localtime('Europe/Berlin')"));
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"hour":13,"isdst":false,"offset":0})"),
                             result("h", "local t = policy.localtime()\n"
                                                  "return {hour = t.hour, isdst = t.isdst, offset = t.offset}"));
        _effects->clock = 1704110400; // 2024-01-01 12:00:00 UTC
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"hour":7,"isdst":false,"offset":-18000})"),
                             result("h", "local t = policy.localtime('America/New_York')\n"
                                                  "return {hour = t.hour, isdst = t.isdst, offset = t.offset}"));
        expectError("h", "policy.localtime('Mars/Olympus')",
                    "t.lua:2: policy.localtime: unknown time zone 'Mars/Olympus' (use an IANA name such as "
                    "'Europe/Berlin' or 'UTC')");
        expectError("h", "policy.localtime(1)", "t.lua:2: policy.localtime: tz must be an IANA time zone name");
    }

    void failuresOfEffectsBecomeLuaErrors()
    {
        _effects->failWith = "database is locked";
        expectError("h", "policy.counter('a', 'k'):incr(1, 10)",
                    "t.lua:2: policy.counter failed: database is locked");
        // pcall catches it like any other Lua error; the state stays usable.
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"ok":false})"),
                             result("h", "return {ok = pcall(policy.kv.get, 'u', 'k')}"));
        _effects->failWith.clear();
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"v":1})"),
                             result("h", "return {v = policy.counter('a', 'k'):incr(1, 10)}"));
    }

    void eventHookHasItsOwnDeadline()
    {
        PolicyLimits limits;
        limits.deadlinePerCall = std::chrono::milliseconds(0);
        limits.eventDeadline = std::chrono::milliseconds(60000);
        _limits = limits;
        const char* loop = "local n = 0\nfor i = 1, 100000 do n = n + i end";
        expectError("h", loop, "deadline of 0 ms exceeded");
        CPPUNIT_ASSERT_EQUAL(std::string("[]"), result("event", std::string(loop) + "\nreturn {}"));
    }

    void scriptsCannotReplaceAnotherScriptsFunctions()
    {
        LuaSandbox sandbox({}, {}, hooks, libraries(), _effects);
        CPPUNIT_ASSERT_EQUAL(std::string(), sandbox.loadScript("a.lua", "policy.kv.get = nil\npolicy.now = nil\n"));
        CPPUNIT_ASSERT_EQUAL(std::string(),
                             sandbox.loadScript("b.lua", "policy.on('h', function(s, r)\n"
                                                         "  return {kv = type(policy.kv.get), now = type(policy.now)}\n"
                                                         "end)\n"));
        const Verdict verdict = sandbox.callHook("h", subject(), Poco::JSON::Parser().parse("{}"));
        CPPUNIT_ASSERT_MESSAGE(verdict.error, !verdict.failed);
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"kv":"function","now":"function"})"), stringify(verdict.value));
    }

private:
    static std::shared_ptr<const LuaSandbox::Libraries> libraries()
    {
        return std::make_shared<LuaSandbox::Libraries>();
    }

    static Var subject() { return Poco::JSON::Parser().parse(R"({"user":"ann"})"); }

    // Loads a script whose handler for `hook` runs `body` (from line 2 of t.lua) and calls it.
    Verdict run(LuaSandbox& sandbox, const std::string& hook, const std::string& body)
    {
        const std::string error = sandbox.loadScript(
            "t.lua", "policy.on('" + hook + "', function(s, r)\n" + body + "\nend)\n");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(body, std::string(), error);
        return sandbox.callHook(hook, subject(), Poco::JSON::Parser().parse("{}"));
    }

    // A fresh sandbox per call (with _limits and _effects), so earlier handlers do not run again.
    std::string result(const std::string& hook, const std::string& body)
    {
        const Verdict verdict = runAlone(hook, body);
        CPPUNIT_ASSERT_MESSAGE(verdict.error, !verdict.failed);
        return verdict.value.isEmpty() ? std::string("{}") : stringify(verdict.value);
    }

    void expectError(const std::string& hook, const std::string& body, const std::string& expected)
    {
        const Verdict verdict = runAlone(hook, body);
        CPPUNIT_ASSERT_MESSAGE(body, verdict.failed);
        CPPUNIT_ASSERT_MESSAGE(verdict.error + "\nexpected: " + expected,
                               verdict.error.find(expected) != std::string::npos);
    }

    Verdict runAlone(const std::string& hook, const std::string& body)
    {
        LuaSandbox fresh(_limits, {}, hooks, libraries(), _effects);
        return run(fresh, hook, body);
    }

    std::shared_ptr<RecordingPolicyEffects> _effects;
    PolicyLimits _limits;
};

CPPUNIT_TEST_SUITE_REGISTRATION(LuaPolicyFunctionsTest);
