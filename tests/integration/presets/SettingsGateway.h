#pragma once
// What the presets suites share: the real gateway with the auth, comfy-proxy and presets modules
// in front of the fake ComfyUI, accounts made with the CLI, and calls made the way SwarmUI's web
// client makes them: sign in, POST /API/GetNewSession, then POST /API/<Name> with a JSON body
// carrying the session_id (no cookie, no Authorization header).
#include "../comfy-proxy/ComfyGateway.h"

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <sstream>
#include <string>

namespace comfygate::test::presets {

class SettingsGatewayTest : public ComfyGatewayTest
{
public:
    void setUp() override { startPresets(); }

protected:
    static inline const std::string secretKey = "presets-settings-test-secret-key-0123456789";
    static inline const std::string presetsModules = "auth,comfy-proxy,presets";

    /// Extra --set keys naming the database (none: SQLite in the gateway's data directory).
    virtual Headers backendSettings() { return {}; }

    /// The gateway with its accounts, on a fresh database.
    void startPresets()
    {
        useServer(startServerWithAccounts(
            {{"olga", "owner"}, {"ada", "admin"}, {"alice", "user"}, {"bob", "user"}, {"gus", "guest"}}, secretKey,
            presetsModules, configWith({})));
    }

    /// Stops the gateway and starts it again on the same data with `settings` added.
    void restartPresets(const Headers& settings)
    {
        _client.reset();
        _server->stop();
        Headers config = configWith(settings);
        config["modules.dir"] = COMFYGATE_MODULE_DIR;
        config["modules.enabled"] = presetsModules;
        config["comfy.url"] = _comfy->url();
        auto server = std::make_unique<ServerProcess>(config, Headers{{"SECRET_KEY", secretKey}});
        server->start();
        useServer(std::move(server));
    }

    Headers configWith(const Headers& settings)
    {
        Headers config = backendSettings();
        config["data.dir"] = _data.path();
        for (const auto& [key, value] : settings)
            config[key] = value;
        return config;
    }

    TempDir _data; ///< the gateway's data directory, kept across restarts

    /// A fresh sign-in of `name` (its own session) and a SwarmUI session_id made from it.
    std::string session(const std::string& name)
    {
        const Headers signedIn = login(*_client, name, accountPassword);
        auto answer = _client->postJson("/API/GetNewSession", "{}", signedIn);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(answer.body, 200, answer.status);
        return answer.json()->getValue<std::string>("session_id");
    }

    /// POST /API/<route> with `body` (a JSON object's text) plus the session_id.
    HttpResult call(const std::string& route, const std::string& sessionId, const std::string& body = "{}")
    {
        auto object = Poco::JSON::Parser().parse(body).extract<Poco::JSON::Object::Ptr>();
        object->set("session_id", sessionId);
        std::ostringstream text;
        object->stringify(text);
        return _client->postJson("/API/" + route, text.str());
    }

    /// call() that must answer 200 with a JSON object; returns it.
    Poco::JSON::Object::Ptr answer(const std::string& route, const std::string& sessionId,
                                   const std::string& body = "{}")
    {
        auto result = call(route, sessionId, body);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(route + ": " + result.body, 200, result.status);
        return result.json();
    }

    /// The SwarmUI refusal (HTTP 200 {"error", "error_id"}) of a call; asserts its shape.
    Poco::JSON::Object::Ptr refusal(const std::string& route, const std::string& sessionId,
                                    const std::string& body = "{}")
    {
        auto object = answer(route, sessionId, body);
        CPPUNIT_ASSERT_MESSAGE(route + " did not refuse: " + stringOf(object), object->has("error"));
        CPPUNIT_ASSERT_MESSAGE(stringOf(object), !object->has("success"));
        return object;
    }

    /// One field of GetUserSettings' tree, by dotted path ("FileFormat.ImageQuality"); nullptr
    /// when the caller does not see it.
    static Poco::JSON::Object::Ptr field(const Poco::JSON::Object::Ptr& settingsAnswer, const std::string& path)
    {
        Poco::JSON::Object::Ptr tree = settingsAnswer->getObject("settings");
        std::size_t from = 0;
        while (tree) {
            const std::size_t dot = path.find('.', from);
            const auto entry = tree->getObject(path.substr(from, dot == std::string::npos ? dot : dot - from));
            if (!entry || dot == std::string::npos)
                return entry;
            tree = entry->getObject("value");
            from = dot + 1;
        }
        return nullptr;
    }

    static std::string stringOf(const Poco::JSON::Object::Ptr& object)
    {
        std::ostringstream out;
        object->stringify(out);
        return out.str();
    }

    static bool contains(const std::string& text, const std::string& part)
    {
        return text.find(part) != std::string::npos;
    }
};

} // namespace comfygate::test::presets
