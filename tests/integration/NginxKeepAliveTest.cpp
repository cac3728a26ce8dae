// The gateway behind Debian's nginx with a keep-alive pool of upstream connections: one
// user's refused requests with bodies never change what another user gets on the shared
// upstream connections, and nginx is a trusted proxy only when configured as one.
#include "KeepAliveCheck.h"
#include "NginxProxy.h"
#include "RawHttpConnection.h"
#include "ServerProcess.h"
#include "TestPaths.h"

#include <cppunit/extensions/HelperMacros.h>

#include <memory>

using comfygate::test::KeepAliveCheck;
using comfygate::test::NginxProxy;
using comfygate::test::RawHttpConnection;
using comfygate::test::RawHttpResponse;
using comfygate::test::ServerProcess;

class NginxKeepAliveTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(NginxKeepAliveTest);
    CPPUNIT_TEST(refusalsOfOneUserNeverReachAnother);
    CPPUNIT_TEST(nginxIsTrustedOnlyWhenConfigured);
    CPPUNIT_TEST_SUITE_END();

public:
    void tearDown() override
    {
        _nginx.reset();
        _gateway.reset();
    }

    void refusalsOfOneUserNeverReachAnother()
    {
        start({{"http.trusted_proxies", "127.0.0.1"}, {"http.ip_deny", "10.66.0.0/16"}});
        const std::vector<std::pair<std::string, int>> refusals{
            {request("POST", "/fixture/echo", "Authorization: Bearer fixture:gus:guest\r\n", "\"value-a\""), 403},
            {request("POST", "/fixture/echo", "Authorization: Bearer fixture:gus:guest\r\nX-Test-Client: 10.66.0.7\r\n",
                     "\"value-a\""),
             403},
            {request("POST", "/nowhere", "Authorization: Bearer fixture:gus:guest\r\n", "\"value-a\""), 404},
            {request("POST", "/fixture/echo", "Authorization: Bearer fixture:gus:user\r\n", std::string(100, 'x')),
             413},
        };
        for (int round = 0; round < 20; ++round) {
            for (const auto& [refused, status] : refusals) {
                CPPUNIT_ASSERT_EQUAL(status, throughNginx(refused).status);
                const RawHttpResponse bob = throughNginx(bobAsksWhoHeIs);
                CPPUNIT_ASSERT_EQUAL_MESSAGE(bob.body, 200, bob.status);
                CPPUNIT_ASSERT_MESSAGE(bob.body, bob.body.find(R"("user":"bob")") != std::string::npos &&
                                                     bob.body.find(R"("client":"127.0.0.1")") != std::string::npos);
            }
        }
    }

    void nginxIsTrustedOnlyWhenConfigured()
    {
        start({{"http.ip_deny", "10.66.0.0/16"}});
        const std::string fromDenied = request(
            "POST", "/fixture/echo", "Authorization: Bearer fixture:bob:user\r\nX-Test-Client: 10.66.0.7\r\n", "\"b\"");
        CPPUNIT_ASSERT_EQUAL(200, throughNginx(fromDenied).status);
        _nginx.reset();
        _gateway.reset();

        start({{"http.ip_deny", "10.66.0.0/16"}, {"http.trusted_proxies", "127.0.0.1"}});
        CPPUNIT_ASSERT_EQUAL(403, throughNginx(fromDenied).status);
        const RawHttpResponse bob = throughNginx(
            request("GET", "/fixture/whoami", "Authorization: Bearer fixture:bob:user\r\nX-Test-Client: 10.1.2.3\r\n", ""));
        CPPUNIT_ASSERT(bob.body.find(R"("client":"10.1.2.3")") != std::string::npos);
    }

private:
    static std::string request(const std::string& method, const std::string& path, const std::string& headers,
                               const std::string& body)
    {
        return KeepAliveCheck::request(method, path, headers, body);
    }

    void start(std::map<std::string, std::string> settings)
    {
        settings["modules.dir"] = COMFYGATE_TEST_MODULE_DIR;
        settings["modules.enabled"] = "fixture,fixture_auth";
        _gateway = std::make_unique<ServerProcess>(settings);
        _gateway->start();
        try {
            _nginx = std::make_unique<NginxProxy>(_gateway->port());
        } catch (const std::runtime_error& e) {
            CPPUNIT_FAIL(e.what());
        }
    }

    /// One request on a fresh client connection to nginx; nginx reuses its upstream connections.
    RawHttpResponse throughNginx(const std::string& bytes)
    {
        try {
            RawHttpConnection connection(_nginx->port());
            connection.write(bytes);
            return connection.read();
        } catch (const std::runtime_error& e) {
            CPPUNIT_FAIL(std::string(e.what()) + "\nnginx error log:\n" + _nginx->errorLog());
        }
        return {};
    }

    const std::string bobAsksWhoHeIs =
        request("GET", "/fixture/whoami", "Authorization: Bearer fixture:bob:user\r\n", "");

    std::unique_ptr<ServerProcess> _gateway;
    std::unique_ptr<NginxProxy> _nginx;
};

CPPUNIT_TEST_SUITE_REGISTRATION(NginxKeepAliveTest);
