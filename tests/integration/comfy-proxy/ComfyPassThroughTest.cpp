// The comfy-proxy pass-through in the real binary: a stand-in ComfyUI (TestHttpServer) on
// loopback records what the gateway sends it.
#include "HttpTestClient.h"
#include "TestPaths.h"
#include "ServerProcess.h"
#include "TestHttpServer.h"

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/JSON/Object.h>

using comfygate::test::HttpTestClient;
using comfygate::test::ServerProcess;
using comfygate::test::TestHttpRequest;
using comfygate::test::TestHttpServer;
using Headers = std::map<std::string, std::string>;

namespace {

const Headers user{{"Authorization", "Bearer fixture:u1:user"}};
const Headers admin{{"Authorization", "Bearer fixture:a1:admin"}};

void json(Poco::Net::HTTPServerResponse& response, const std::string& text)
{
    response.setContentType("application/json");
    response.setContentLength(static_cast<std::streamsize>(text.size()));
    response.send() << text;
}

} // namespace

class ComfyPassThroughTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(ComfyPassThroughTest);
    CPPUNIT_TEST(readRoutesNeedACredential);
    CPPUNIT_TEST(forwardsPathQueryAndTwins);
    CPPUNIT_TEST(stripsCredentialsOriginAndIdentityHeaders);
    CPPUNIT_TEST(multiUserSendsNoComfyUserOnSharedRoutes);
    CPPUNIT_TEST(systemStatsHidesTheCommandLineFromNonAdmins);
    CPPUNIT_TEST(adminRoutesAreForAdmins);
    CPPUNIT_TEST(unknownRoutesNeverReachComfy);
    CPPUNIT_TEST(upstreamDownIs502Json);
    CPPUNIT_TEST(largeAnswersStreamThrough);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override
    {
        _comfy = std::make_unique<TestHttpServer>();
        _comfy->on("GET", "/object_info", [](const TestHttpRequest&, Poco::Net::HTTPServerResponse& r) {
            json(r, "{\"KSampler\":{\"name\":\"KSampler\"}}");
        });
        _comfy->on("GET", "/api/object_info", [](const TestHttpRequest&, Poco::Net::HTTPServerResponse& r) {
            json(r, "{\"KSampler\":{\"name\":\"KSampler\"}}");
        });
        _comfy->on("GET", "/models/checkpoints", [](const TestHttpRequest&, Poco::Net::HTTPServerResponse& r) {
            json(r, "[\"sd15.safetensors\"]");
        });
        _comfy->on("GET", "/system_stats", [](const TestHttpRequest&, Poco::Net::HTTPServerResponse& r) {
            json(r, "{\"system\":{\"os\":\"posix\",\"argv\":[\"main.py\",\"--listen\"]},\"devices\":[]}");
        });
        _comfy->on("GET", "/internal/logs", [](const TestHttpRequest&, Poco::Net::HTTPServerResponse& r) {
            json(r, "\"log text\"");
        });
        _comfy->on("GET", "/view_metadata/loras", [](const TestHttpRequest&, Poco::Net::HTTPServerResponse& r) {
            json(r, "{}");
        });
        _comfy->on("GET", "/features", [](const TestHttpRequest&, Poco::Net::HTTPServerResponse& r) {
            json(r, "{}");
        });
        _comfy->on("GET", "/assets/big.js", [](const TestHttpRequest&, Poco::Net::HTTPServerResponse& r) {
            const std::string chunk(1 << 20, 'x');
            r.setContentType("application/octet-stream");
            r.setChunkedTransferEncoding(true);
            std::ostream& out = r.send();
            for (int i = 0; i < 32; ++i)
                out << chunk;
        });
        start({});
    }

    void tearDown() override
    {
        _client.reset();
        _server.reset();
        _comfy.reset();
    }

    void readRoutesNeedACredential()
    {
        CPPUNIT_ASSERT_EQUAL(401, _client->get("/object_info").status);
        CPPUNIT_ASSERT(_comfy->requests("/object_info").empty()); // refused before reaching ComfyUI
        auto ok = _client->get("/object_info", user);
        CPPUNIT_ASSERT_EQUAL(200, ok.status);
        CPPUNIT_ASSERT(ok.json()->has("KSampler"));
    }

    void forwardsPathQueryAndTwins()
    {
        CPPUNIT_ASSERT_EQUAL(200, _client->get("/api/object_info", user).status);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), _comfy->requests("/api/object_info").size());
        auto models = _client->get("/api/models/checkpoints", user);
        CPPUNIT_ASSERT_EQUAL(404, models.status); // the stand-in only knows the bare path
        CPPUNIT_ASSERT_EQUAL(std::string("[\"sd15.safetensors\"]"), _client->get("/models/checkpoints", user).body);
        CPPUNIT_ASSERT_EQUAL(200, _client->get("/view_metadata/loras?filename=a%2Fb.safetensors", user).status);
        const auto seen = _comfy->requests("/view_metadata/loras");
        CPPUNIT_ASSERT_EQUAL(std::string("/view_metadata/loras?filename=a%2Fb.safetensors"), seen.back().uri);
    }

    void stripsCredentialsOriginAndIdentityHeaders()
    {
        Headers headers = user;
        headers["Origin"] = "https://gateway.example";
        headers["comfy-user"] = "someone-else";
        headers["X-Forwarded-For"] = "203.0.113.1";
        headers["Cookie"] = "jwt_token=secret";
        headers["X-API-Key"] = "cgt_secret";
        CPPUNIT_ASSERT_EQUAL(200, _client->get("/object_info", headers).status);
        const auto seen = _comfy->requests("/object_info").back();
        for (const char* name : {"Authorization", "Origin", "comfy-user", "Cookie", "X-API-Key"})
            CPPUNIT_ASSERT_MESSAGE(name, !seen.header(name));
        CPPUNIT_ASSERT_EQUAL(std::string("127.0.0.1"), seen.header("X-Forwarded-For").value_or(""));
    }

    void multiUserSendsNoComfyUserOnSharedRoutes()
    {
        // ComfyUI reads comfy-user only on its user routes (ComfyUserDataTest covers those).
        start({{"comfy.multi_user", "true"}});
        Headers headers = user;
        headers["comfy-user"] = "someone-else";
        CPPUNIT_ASSERT_EQUAL(200, _client->get("/object_info", headers).status);
        CPPUNIT_ASSERT(!_comfy->requests("/object_info").back().header("comfy-user"));
        CPPUNIT_ASSERT_EQUAL(200, _client->get("/features", headers).status);
        CPPUNIT_ASSERT(!_comfy->requests("/features").back().header("comfy-user"));
    }

    void systemStatsHidesTheCommandLineFromNonAdmins()
    {
        auto forUser = _client->get("/system_stats", user).json();
        CPPUNIT_ASSERT(!forUser->getObject("system")->has("argv"));
        CPPUNIT_ASSERT_EQUAL(std::string("posix"), forUser->getObject("system")->getValue<std::string>("os"));
        auto forAdmin = _client->get("/system_stats", admin).json();
        CPPUNIT_ASSERT(forAdmin->getObject("system")->has("argv"));
    }

    void adminRoutesAreForAdmins()
    {
        CPPUNIT_ASSERT_EQUAL(403, _client->get("/internal/logs", user).status);
        CPPUNIT_ASSERT_EQUAL(200, _client->get("/internal/logs", admin).status);
        CPPUNIT_ASSERT_EQUAL(404, _client->get("/api/internal/logs", admin).status); // no twin upstream either
        CPPUNIT_ASSERT_EQUAL(403, _client->request("POST", "/free", "{}", user).status);
    }

    void unknownRoutesNeverReachComfy()
    {
        // Routes the gateway does not know (Manager, custom nodes) never reach ComfyUI.
        for (const char* path : {"/some_node_pack/status", "/api/manager/queue/status", "/customnode/getlist"}) {
            CPPUNIT_ASSERT_EQUAL_MESSAGE(path, 404, _client->get(path, admin).status);
            CPPUNIT_ASSERT_MESSAGE(path, _comfy->requests(path).empty());
        }
    }

    void upstreamDownIs502Json()
    {
        start({{"comfy.url", "http://127.0.0.1:1"}}); // nothing listens on port 1
        auto down = _client->get("/object_info", user);
        CPPUNIT_ASSERT_EQUAL(502, down.status);
        CPPUNIT_ASSERT(down.json()->getValue<std::string>("error").find("ComfyUI is not reachable") != std::string::npos);
    }

    void largeAnswersStreamThrough()
    {
        // A front-end file: static files are streamed, never held whole.
        auto big = _client->get("/assets/big.js", user);
        CPPUNIT_ASSERT_EQUAL(200, big.status);
        CPPUNIT_ASSERT_EQUAL(std::size_t(32) << 20, big.body.size());
    }

private:
    void start(Headers extra)
    {
        Headers config{{"modules.dir", COMFYGATE_MODULE_DIR "," COMFYGATE_TEST_MODULE_DIR},
                       {"modules.enabled", "comfy-proxy,fixture_auth"},
                       {"comfy.url", "http://127.0.0.1:" + std::to_string(_comfy->port())}};
        for (auto& [key, value] : extra)
            config[key] = value;
        _client.reset();
        _server = std::make_unique<ServerProcess>(config);
        _server->start();
        _client = std::make_unique<HttpTestClient>(_server->port());
    }

    std::unique_ptr<TestHttpServer> _comfy;
    std::unique_ptr<ServerProcess> _server;
    std::unique_ptr<HttpTestClient> _client;
};

CPPUNIT_TEST_SUITE_REGISTRATION(ComfyPassThroughTest);
