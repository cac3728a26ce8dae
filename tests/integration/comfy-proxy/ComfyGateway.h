#pragma once
// The set-up the comfy-proxy suites share: a fake ComfyUI in a fresh folder, the real gateway
// binary in front of it, an HTTP client, the standard fixture_auth users, and the helpers that
// submit a graph (SampleWorkflow.h) and wait until it finished.
#include "FakeComfyUI.h"
#include "TestPaths.h"
#include "HttpTestClient.h"
#include "SampleWorkflow.h"
#include "ServerProcess.h"
#include "TempDir.h"
#include "WebSocketTestClient.h"

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/JSON/Array.h>
#include <Poco/URI.h>

#include <chrono>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace comfygate::test {

using Headers = std::map<std::string, std::string>;

/// Submits the graph as `user` (asserts 200) and returns the prompt id; `clientId` ("": none)
/// names the WebSocket tab that receives the prompt's events.
inline std::string submitPrompt(const HttpTestClient& client, const Headers& user, const std::string& graph,
                                const std::string& clientId = {})
{
    std::string body = "{\"prompt\":" + graph;
    if (!clientId.empty())
        body += ",\"client_id\":\"" + clientId + "\"";
    auto result = client.postJson("/prompt", body + "}", user);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(result.body, 200, result.status);
    return result.json()->getValue<std::string>("prompt_id");
}

/// Waits until the prompt's history entry says completed and returns that entry.
inline Poco::JSON::Object::Ptr waitForCompletion(const HttpTestClient& client, const Headers& user,
                                                 const std::string& promptId)
{
    for (int i = 0; i < 400; ++i) {
        auto entry = client.get("/history/" + promptId, user).json()->getObject(promptId);
        if (entry && entry->getObject("status") && entry->getObject("status")->optValue<bool>("completed", false))
            return entry;
        std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    CPPUNIT_FAIL("prompt " + promptId + " did not finish");
    return nullptr;
}

/// Waits until the prompt finished and returns its first output image {filename, subfolder, type}.
inline Poco::JSON::Object::Ptr waitForImage(const HttpTestClient& client, const Headers& user,
                                            const std::string& promptId)
{
    return waitForCompletion(client, user, promptId)
        ->getObject("outputs")
        ->getObject("9")
        ->getArray("images")
        ->getObject(0);
}

/// A query value with every reserved character percent-encoded.
inline std::string encodeQueryValue(const std::string& value)
{
    std::string encoded;
    Poco::URI::encode(value, "!#$&'()*+,/:;=?@[]", encoded);
    return encoded;
}

/// GET /view's URI for an image {filename, subfolder, type} from the history.
inline std::string viewUri(const Poco::JSON::Object::Ptr& image)
{
    return "/view?filename=" + encodeQueryValue(image->getValue<std::string>("filename")) +
           "&subfolder=" + encodeQueryValue(image->getValue<std::string>("subfolder")) +
           "&type=" + image->getValue<std::string>("type");
}

/// The whole content of a file ("" when it cannot be read).
inline std::string readFile(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

/// The prompt id in a WebSocket event ("" for frames without one).
inline std::string promptIdOf(const WebSocketFrame& frame)
{
    if (!frame.isText())
        return {};
    auto data = frame.json()->getObject("data");
    return data ? data->optValue<std::string>("prompt_id", "") : std::string();
}

/// Logs in through the real auth module (POST /login) and returns the session's Authorization header.
inline Headers login(const HttpTestClient& client, const std::string& name, const std::string& password)
{
    auto result = client.postJson("/login", "{\"username\":\"" + name + "\",\"password\":\"" + password + "\"}");
    CPPUNIT_ASSERT_EQUAL_MESSAGE(result.body, 200, result.status);
    return Headers{{"Authorization", "Bearer " + result.json()->getValue<std::string>("jwt_token")}};
}

/// A suite with one fake ComfyUI (holding the sample graph's checkpoint) and one real gateway
/// per test. The suite's setUp() sets the fake's pace and faults, then calls startGateway();
/// tearDown() stops everything.
class ComfyGatewayTest : public CppUnit::TestFixture
{
public:
    void tearDown() override
    {
        _client.reset();
        _server.reset();
        _comfy->stop();
        _comfy.reset();
    }

protected:
    /// Users of the fixture_auth module ("Bearer fixture:<id>:<role>").
    static inline const Headers alice{{"Authorization", "Bearer fixture:alice:user"}};
    static inline const Headers bob{{"Authorization", "Bearer fixture:bob:user"}};
    static inline const Headers admin{{"Authorization", "Bearer fixture:ada:admin"}};
    static inline const Headers guest{{"Authorization", "Bearer fixture:gus:guest"}};
    static inline const std::string fixtureModules = "comfy-proxy,fixture_auth";
    /// The password of the accounts startServerWithAccounts() creates.
    static inline const std::string accountPassword = "long-enough-password-42";

    /// Starts the gateway (fixture_auth unless `modules` says otherwise) with `settings` as extra
    /// --set keys, and the client that talks to it.
    void startGateway(const Headers& settings = {}, const std::string& modules = fixtureModules)
    {
        useServer(startServer(settings, modules));
    }

    /// Makes `server` the suite's gateway (the one _client talks to), stopping the previous one.
    void useServer(std::unique_ptr<ServerProcess> server)
    {
        _client.reset();
        _server = std::move(server);
        _client = std::make_unique<HttpTestClient>(_server->port());
    }

    /// Another gateway in front of the same fake (started with it if it is not yet running).
    std::unique_ptr<ServerProcess> startServer(const Headers& settings, const std::string& modules = fixtureModules)
    {
        Headers config{{"modules.dir", COMFYGATE_MODULE_DIR "," COMFYGATE_TEST_MODULE_DIR},
                       {"modules.enabled", modules},
                       {"comfy.url", comfyUrl()}};
        for (const auto& [key, value] : settings)
            config[key] = value;
        auto server = std::make_unique<ServerProcess>(config);
        server->start();
        return server;
    }

    /// A gateway with the real auth module (and `modules`, `settings`) and `accounts` (name,
    /// role) created by `comfygate user add` with accountPassword before it starts.
    std::unique_ptr<ServerProcess>
    startServerWithAccounts(const std::vector<std::pair<std::string, std::string>>& accounts,
                            const std::string& secretKey, const std::string& modules = "auth,comfy-proxy",
                            const Headers& settings = {})
    {
        Headers config{{"modules.dir", COMFYGATE_MODULE_DIR}, {"modules.enabled", modules}, {"comfy.url", comfyUrl()}};
        for (const auto& [key, value] : settings)
            config[key] = value;
        auto server = std::make_unique<ServerProcess>(config, Headers{{"SECRET_KEY", secretKey}});
        for (const auto& [name, role] : accounts) {
            std::string out, err;
            CPPUNIT_ASSERT_EQUAL_MESSAGE(err, 0,
                                         server->runCommand({"user", "add", name, "--role", role, "--password-stdin"},
                                                            out, err, accountPassword + "\n"));
        }
        server->start();
        return server;
    }

    std::string submit(const Headers& user, const std::string& graph, const std::string& clientId = {})
    {
        return submitPrompt(*_client, user, graph, clientId);
    }

    /// The history entry of a finished prompt (waits for it).
    Poco::JSON::Object::Ptr waitForHistory(const Headers& user, const std::string& promptId)
    {
        return waitForCompletion(*_client, user, promptId);
    }

    /// The first output image {filename, subfolder, type} of a finished prompt (waits for it).
    Poco::JSON::Object::Ptr waitForImage(const Headers& user, const std::string& promptId)
    {
        return comfygate::test::waitForImage(*_client, user, promptId);
    }

    TempDir _root;
    std::unique_ptr<fakes::FakeComfyUI> _comfy = fakeWithSampleCheckpoint(_root.path());
    std::unique_ptr<ServerProcess> _server;
    std::unique_ptr<HttpTestClient> _client;

private:
    /// A fake ComfyUI (not yet listening) that has the checkpoint the sample graph loads.
    static std::unique_ptr<fakes::FakeComfyUI> fakeWithSampleCheckpoint(const std::string& rootDir)
    {
        auto comfy = std::make_unique<fakes::FakeComfyUI>(rootDir);
        comfy->addModel("checkpoints", "sd15.safetensors");
        return comfy;
    }

    std::string comfyUrl()
    {
        if (_comfy->port() == 0)
            _comfy->start();
        return _comfy->url();
    }
};

} // namespace comfygate::test
