// The real comfygate binary on port 0 with the fixture modules, over real HTTP.
#include "HttpTestClient.h"
#include "TestPaths.h"
#include "ServerProcess.h"

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/JSON/Parser.h>

#include <csignal>
#include <memory>
#include <thread>

using comfygate::test::HttpTestClient;
using comfygate::test::ServerProcess;

namespace {

std::map<std::string, std::string> fixtureConfig(std::map<std::string, std::string> extra = {})
{
    std::map<std::string, std::string> config{{"modules.dir", COMFYGATE_TEST_MODULE_DIR},
                                              {"modules.enabled", "fixture,fixture_auth"}};
    for (auto& [key, value] : extra)
        config[key] = value;
    return config;
}

} // namespace

class KernelServerTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(KernelServerTest);
    CPPUNIT_TEST(healthAndReadiness);
    CPPUNIT_TEST(publicRouteAndRequestId);
    CPPUNIT_TEST(unknownPathIs404Json);
    CPPUNIT_TEST(wrongMethodIs405WithAllow);
    CPPUNIT_TEST(headAnswersForGet);
    CPPUNIT_TEST(authenticatedRouteNeeds401);
    CPPUNIT_TEST(invalidCredentialIs401);
    CPPUNIT_TEST(permissionIs403WithoutAnd200With);
    CPPUNIT_TEST(bodyLimitIs413);
    CPPUNIT_TEST(apiTwinAndEncodedSlash);
    CPPUNIT_TEST(dotSegmentsRefused);
    CPPUNIT_TEST(swarmErrorShape);
    CPPUNIT_TEST(openApiListsEveryRoute);
    CPPUNIT_TEST(metricsFromLoopback);
    CPPUNIT_TEST(forwardedForIgnoredFromUntrustedPeer);
    CPPUNIT_TEST(forwardedForBelievedFromTrustedProxy);
    CPPUNIT_TEST(ipDenyListRefusesBeforeAuthentication);
    CPPUNIT_TEST(badConfigurationValueStopsStartup);
    CPPUNIT_TEST(sigtermDrainsAndExitsCleanly);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override
    {
        _server = std::make_unique<ServerProcess>(fixtureConfig());
        _server->start();
        _client = std::make_unique<HttpTestClient>(_server->port());
    }

    void tearDown() override
    {
        _client.reset();
        _server.reset();
    }

    void healthAndReadiness()
    {
        auto health = _client->get("/healthz");
        CPPUNIT_ASSERT_EQUAL(200, health.status);
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), health.json()->getValue<std::string>("status"));
        auto ready = _client->get("/readyz");
        CPPUNIT_ASSERT_EQUAL(200, ready.status);
        CPPUNIT_ASSERT_EQUAL(std::string("ready"), ready.json()->getValue<std::string>("status"));
    }

    void publicRouteAndRequestId()
    {
        auto first = _client->get("/fixture/ping");
        auto second = _client->get("/fixture/ping");
        CPPUNIT_ASSERT_EQUAL(200, first.status);
        CPPUNIT_ASSERT(first.json()->getValue<bool>("pong"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(16), first.header("X-Request-Id").size());
        CPPUNIT_ASSERT(first.header("X-Request-Id") != second.header("X-Request-Id"));
        CPPUNIT_ASSERT_EQUAL(std::string("nosniff"), first.header("X-Content-Type-Options"));
    }

    void unknownPathIs404Json()
    {
        auto result = _client->get("/no/such/route");
        CPPUNIT_ASSERT_EQUAL(404, result.status);
        CPPUNIT_ASSERT_EQUAL(std::string("application/json"), result.header("Content-Type"));
        CPPUNIT_ASSERT(result.json()->getValue<std::string>("error").find("/no/such/route") != std::string::npos);
    }

    void wrongMethodIs405WithAllow()
    {
        auto result = _client->request("DELETE", "/fixture/ping");
        CPPUNIT_ASSERT_EQUAL(405, result.status);
        CPPUNIT_ASSERT_EQUAL(std::string("GET, HEAD"), result.header("Allow"));
        CPPUNIT_ASSERT(result.json()->has("error"));
    }

    void headAnswersForGet()
    {
        auto result = _client->request("HEAD", "/fixture/ping");
        CPPUNIT_ASSERT_EQUAL(200, result.status);
        CPPUNIT_ASSERT(result.body.empty());
    }

    void authenticatedRouteNeeds401()
    {
        auto result = _client->get("/fixture/whoami");
        CPPUNIT_ASSERT_EQUAL(401, result.status);
        CPPUNIT_ASSERT(result.json()->has("error"));
        auto ok = _client->get("/fixture/whoami", {{"Authorization", "Bearer fixture:alice:user"}});
        CPPUNIT_ASSERT_EQUAL(200, ok.status);
        CPPUNIT_ASSERT_EQUAL(std::string("alice"), ok.json()->getValue<std::string>("user"));
    }

    void invalidCredentialIs401()
    {
        auto result = _client->get("/fixture/whoami", {{"Authorization", "Bearer bad"}});
        CPPUNIT_ASSERT_EQUAL(401, result.status);
        CPPUNIT_ASSERT_EQUAL(std::string("invalid fixture token"), result.json()->getValue<std::string>("error"));
        // A public route ignores a bad credential instead of failing.
        CPPUNIT_ASSERT_EQUAL(200, _client->get("/fixture/ping", {{"Authorization", "Bearer bad"}}).status);
    }

    void permissionIs403WithoutAnd200With()
    {
        auto guest = _client->postJson("/fixture/echo", "hi", {{"Authorization", "Bearer fixture:gus:guest"}});
        CPPUNIT_ASSERT_EQUAL(403, guest.status);
        CPPUNIT_ASSERT(guest.json()->getValue<std::string>("error").find("fixture_echo") != std::string::npos);
        auto user = _client->postJson("/fixture/echo", "hi", {{"Authorization", "Bearer fixture:ann:user"}});
        CPPUNIT_ASSERT_EQUAL(200, user.status);
        CPPUNIT_ASSERT_EQUAL(std::string("hi"), user.body);
        // The owner holds every declared permission whatever groups.json says.
        auto owner = _client->postJson("/fixture/echo", "x", {{"Authorization", "Bearer fixture:olga:owner"}});
        CPPUNIT_ASSERT_EQUAL(200, owner.status);
    }

    void bodyLimitIs413()
    {
        const std::string big(65, 'x');
        auto result = _client->postJson("/fixture/echo", big, {{"Authorization", "Bearer fixture:ann:user"}});
        CPPUNIT_ASSERT_EQUAL(413, result.status);
    }

    void apiTwinAndEncodedSlash()
    {
        auto plain = _client->get("/fixture/items/abc");
        auto twin = _client->get("/api/fixture/items/abc");
        CPPUNIT_ASSERT_EQUAL(200, plain.status);
        CPPUNIT_ASSERT_EQUAL(200, twin.status);
        CPPUNIT_ASSERT_EQUAL(std::string("abc"), twin.json()->getValue<std::string>("name"));
        auto encoded = _client->get("/fixture/items/workflows%2Fmy%20flow.json");
        CPPUNIT_ASSERT_EQUAL(200, encoded.status);
        CPPUNIT_ASSERT_EQUAL(std::string("workflows/my flow.json"), encoded.json()->getValue<std::string>("name"));
        CPPUNIT_ASSERT_EQUAL(404, _client->get("/fixture/items/a/b").status);
    }

    void dotSegmentsRefused()
    {
        CPPUNIT_ASSERT_EQUAL(400, _client->get("/fixture/items/..").status);
        CPPUNIT_ASSERT_EQUAL(400, _client->get("/fixture/items/%2e%2e").status);
        CPPUNIT_ASSERT_EQUAL(400, _client->get("/fixture/items/..%2Fetc%2Fpasswd").status);
        CPPUNIT_ASSERT_EQUAL(400, _client->get("/fixture/../healthz").status);
        CPPUNIT_ASSERT_EQUAL(400, _client->get("/fixture/items/a%5Cb").status);
    }

    void swarmErrorShape()
    {
        auto result = _client->postJson("/API/FixtureFail", "{}");
        CPPUNIT_ASSERT_EQUAL(400, result.status);
        CPPUNIT_ASSERT_EQUAL(std::string("fixture failure"), result.json()->getValue<std::string>("error"));
        CPPUNIT_ASSERT_EQUAL(std::string("fixture_failed"), result.json()->getValue<std::string>("error_id"));
    }

    void openApiListsEveryRoute()
    {
        auto result = _client->get("/openapi.json");
        CPPUNIT_ASSERT_EQUAL(200, result.status);
        auto doc = result.json();
        CPPUNIT_ASSERT_EQUAL(std::string("3.0.3"), doc->getValue<std::string>("openapi"));
        auto paths = doc->getObject("paths");
        for (const char* path : {"/fixture/ping", "/fixture/echo", "/fixture/items/{name}", "/api/fixture/items/{name}",
                                 "/healthz", "/metrics", "/openapi.json", "/mss-login/api/admin/policies/reload"})
            CPPUNIT_ASSERT_MESSAGE(path, paths->has(path));
        auto echo = paths->getObject("/fixture/echo")->getObject("post");
        CPPUNIT_ASSERT_EQUAL(std::string("fixture_echo"), echo->getValue<std::string>("x-permission"));
        CPPUNIT_ASSERT_EQUAL(std::string("fixture"), echo->getValue<std::string>("x-module"));
        CPPUNIT_ASSERT_EQUAL(std::string("echoes a small body"), echo->getValue<std::string>("summary"));
    }

    void metricsFromLoopback()
    {
        _client->get("/fixture/ping");
        _client->get("/no/such/route");
        auto result = _client->get("/metrics");
        CPPUNIT_ASSERT_EQUAL(200, result.status);
        CPPUNIT_ASSERT(result.body.find("comfygate_http_requests_total{route=\"/fixture/ping\",method=\"GET\",status=\"200\"} 1") !=
                       std::string::npos);
        CPPUNIT_ASSERT(result.body.find("status=\"404\"") != std::string::npos);
        CPPUNIT_ASSERT(result.body.find("comfygate_http_request_duration_seconds_bucket{route=\"/fixture/ping\",le=\"+Inf\"} 1") !=
                       std::string::npos);
        CPPUNIT_ASSERT(result.body.find("comfygate_websockets_open 0") != std::string::npos);
    }

    void forwardedForIgnoredFromUntrustedPeer()
    {
        auto result = _client->get("/fixture/whoami", {{"Authorization", "Bearer fixture:ann:user"},
                                                       {"X-Forwarded-For", "203.0.113.9"},
                                                       {"X-Real-IP", "203.0.113.10"}});
        CPPUNIT_ASSERT_EQUAL(200, result.status);
        CPPUNIT_ASSERT_EQUAL(std::string("127.0.0.1"), result.json()->getValue<std::string>("client"));
    }

    void forwardedForBelievedFromTrustedProxy()
    {
        ServerProcess proxied(fixtureConfig({{"http.trusted_proxies", "127.0.0.0/8"}}));
        proxied.start();
        HttpTestClient client(proxied.port());
        auto result = client.get("/fixture/whoami", {{"Authorization", "Bearer fixture:ann:user"},
                                                     {"X-Forwarded-For", "198.51.100.1, 203.0.113.9, 127.0.0.5"}});
        CPPUNIT_ASSERT_EQUAL(std::string("203.0.113.9"), result.json()->getValue<std::string>("client"));
    }

    void ipDenyListRefusesBeforeAuthentication()
    {
        ServerProcess denied(fixtureConfig({{"http.ip_deny", "10.0.0.0/8,127.0.0.1/32"}}));
        denied.start();
        HttpTestClient client(denied.port());
        auto result = client.get("/fixture/whoami", {{"Authorization", "Bearer bad"}});
        CPPUNIT_ASSERT_EQUAL(403, result.status); // not 401: the IP rule comes first
    }

    void badConfigurationValueStopsStartup()
    {
        ServerProcess broken(fixtureConfig({{"http.threads", "many"}}));
        CPPUNIT_ASSERT_THROW(broken.start(), std::runtime_error);
        CPPUNIT_ASSERT(broken.stderrText().find("http.threads") != std::string::npos);
    }

    void sigtermDrainsAndExitsCleanly()
    {
        CPPUNIT_ASSERT_EQUAL(200, _client->get("/healthz").status);
        CPPUNIT_ASSERT_EQUAL(0, _server->stop());
        CPPUNIT_ASSERT(_server->stderrText().find("stopped") != std::string::npos);
    }

private:
    std::unique_ptr<ServerProcess> _server;
    std::unique_ptr<HttpTestClient> _client;
};

CPPUNIT_TEST_SUITE_REGISTRATION(KernelServerTest);
