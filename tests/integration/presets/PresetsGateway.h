#pragma once
// What the presets suites share: the real gateway with the auth and presets modules, four
// users signed in the way SwarmUI's web client does it (POST /API/Login sets swarm_token,
// POST /API/GetNewSession turns it into a session_id sent in every JSON body), on the
// database a suite chooses (backendSettings()).
#include "HttpTestClient.h"
#include "ServerProcess.h"

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

#include <algorithm>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace comfygate::test::presets {

using Headers = std::map<std::string, std::string>;

/// One signed-in user: the swarm_token cookie and the SwarmUI session_id made from it.
struct SwarmUser
{
    std::string name;
    std::string cookie;
    std::string session;
};

inline Poco::JSON::Object::Ptr object(const std::string& jsonText)
{
    return Poco::JSON::Parser().parse(jsonText).extract<Poco::JSON::Object::Ptr>();
}

inline std::string text(const Poco::Dynamic::Var& value)
{
    std::ostringstream out;
    Poco::JSON::Stringifier::stringify(value, out);
    return out.str();
}

/// The member names of a JSON object, sorted and comma-joined (for exact shape checks).
inline std::string keysOf(const Poco::JSON::Object::Ptr& object)
{
    std::vector<std::string> names = object->getNames();
    std::sort(names.begin(), names.end());
    std::string joined;
    for (const auto& name : names)
        joined += (joined.empty() ? "" : ",") + name;
    return joined;
}

class PresetsGateway : public CppUnit::TestFixture
{
public:
    void setUp() override { startGateway(); }
    void tearDown() override
    {
        _client.reset();
        _server.reset();
    }

protected:
    static inline const std::string password = "presets-suite-password-1";

    /// Extra --set keys naming the database (none: SQLite in the gateway's data directory).
    virtual Headers backendSettings() { return {}; }

    /// Small limits, so the suites reach them with small requests.
    Headers settings()
    {
        Headers config = backendSettings();
        config["modules.enabled"] = "auth,presets";
        config["auth.mfa_disabled"] = "true";
        config["presets.preview_max_bytes"] = "400000";
        config["presets.preview_max_pixels"] = "4000000";
        config["presets.user_document_max_bytes"] = "4096";
        config["presets.max_per_user"] = "12";
        return config;
    }

    void startGateway()
    {
        _client.reset();
        _server = std::make_unique<ServerProcess>(settings(),
                                                  Headers{{"SECRET_KEY", "presets-suite-secret-key-0123456789abcdef"}});
        for (const auto& [name, role] : std::vector<std::pair<std::string, std::string>>{
                 {"alice", "user"}, {"bob", "user"}, {"chief", "admin"}, {"visitor", "guest"}}) {
            std::string out, err;
            const int status = _server->runCommand({"user", "add", name, "--role", role, "--password-stdin"}, out, err,
                                                   password + "\n");
            CPPUNIT_ASSERT_EQUAL_MESSAGE("user add " + name + ": " + err, 0, status);
        }
        _server->start();
        _client = std::make_unique<HttpTestClient>(_server->port());
        alice = signIn("alice");
        bob = signIn("bob");
        chief = signIn("chief");
        visitor = signIn("visitor");
    }

    std::string origin() const { return "http://127.0.0.1:" + std::to_string(_server->port()); }

    SwarmUser signIn(const std::string& name)
    {
        Poco::JSON::Object login;
        login.set("username", name);
        login.set("password", password);
        auto signedIn = _client->postJson("/API/Login", text(Poco::JSON::Object::Ptr(new Poco::JSON::Object(login))));
        CPPUNIT_ASSERT_EQUAL_MESSAGE("Login " + name + ": " + signedIn.body, 200, signedIn.status);
        const std::string setCookie = signedIn.header("Set-Cookie");
        SwarmUser user{name, setCookie.substr(0, setCookie.find(';')), {}};
        auto session = _client->postJson("/API/GetNewSession", "{}", {{"Cookie", user.cookie}, {"Origin", origin()}});
        CPPUNIT_ASSERT_EQUAL_MESSAGE("GetNewSession " + name + ": " + session.body, 200, session.status);
        user.session = session.json()->getValue<std::string>("session_id");
        return user;
    }

    /// POST /API/<route> with the user's session_id added to `body` (a JSON object text).
    HttpResult call(const SwarmUser& user, const std::string& route, const std::string& body = "{}")
    {
        auto request = object(body);
        request->set("session_id", user.session);
        return _client->postJson("/API/" + route, text(request));
    }

    /// A call that must succeed (HTTP 200 without error or preset_fail); its answer.
    Poco::JSON::Object::Ptr ok(const SwarmUser& user, const std::string& route, const std::string& body = "{}")
    {
        auto result = call(user, route, body);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(route + ": " + result.body, 200, result.status);
        auto answer = result.json();
        CPPUNIT_ASSERT_MESSAGE(route + ": " + result.body, !answer->has("error") && !answer->has("preset_fail"));
        return answer;
    }

    /// The text of a refusal answered as HTTP 200 `{<key>: text}` (SwarmUI's handler errors).
    std::string refused(const SwarmUser& user, const std::string& route, const std::string& body,
                        const std::string& key = "preset_fail")
    {
        auto result = call(user, route, body);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(route + ": " + result.body, 200, result.status);
        auto answer = result.json();
        CPPUNIT_ASSERT_MESSAGE(route + " should refuse with " + key + ": " + result.body, answer->has(key));
        return answer->getValue<std::string>(key);
    }

    /// AddNewPreset with a small param_map; `extra` members (a JSON object text) are merged in.
    std::string presetBody(const std::string& title, const std::string& extra = "{}")
    {
        auto body =
            object(R"({"raw":{"param_map":{"prompt":"a cat, {value}","steps":30,"cfgscale":7.5,"seamless":true}}})");
        body->set("title", title);
        body->set("description", "desc of " + title);
        const auto extras = object(extra); // a range-for over *object(...) would outlive the pointer
        for (const auto& [key, value] : *extras)
            body->set(key, value);
        return text(body);
    }

    void addPreset(const SwarmUser& user, const std::string& title, const std::string& extra = "{}")
    {
        auto answer = ok(user, "AddNewPreset", presetBody(title, extra));
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"success":true})"), text(answer));
    }

    /// GetMyUserData's presets by title (the caller's own and shared ones, in order).
    std::vector<Poco::JSON::Object::Ptr> presetsOf(const SwarmUser& user)
    {
        auto presets = ok(user, "GetMyUserData")->getArray("presets");
        std::vector<Poco::JSON::Object::Ptr> list;
        for (unsigned i = 0; i < presets->size(); ++i)
            list.push_back(presets->getObject(i));
        return list;
    }

    std::string titlesOf(const SwarmUser& user)
    {
        std::string titles;
        for (const auto& preset : presetsOf(user))
            titles += (titles.empty() ? "" : "|") + preset->getValue<std::string>("title");
        return titles;
    }

    Poco::JSON::Object::Ptr presetNamed(const SwarmUser& user, const std::string& title)
    {
        for (const auto& preset : presetsOf(user))
            if (preset->getValue<std::string>("title") == title)
                return preset;
        CPPUNIT_FAIL("no preset " + title + " in " + titlesOf(user));
        return nullptr;
    }

    HttpResult viewWithCookie(const SwarmUser& user, const std::string& uri)
    {
        return _client->get(uri, {{"Cookie", user.cookie}});
    }

    std::unique_ptr<ServerProcess> _server;
    std::unique_ptr<HttpTestClient> _client;
    SwarmUser alice, bob, chief, visitor;
};

} // namespace comfygate::test::presets
