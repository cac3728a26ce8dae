// The modules' early answers over raw keep-alive connections, read by a strict parser: the
// real auth, comfy-proxy, model-download and userdata modules refusing requests with bodies,
// and a bodiless 204 without framing.
#include "ComfyGateway.h"
#include "KeepAliveCheck.h"
#include "RawHttpConnection.h"

using comfygate::test::ComfyGatewayTest;
using comfygate::test::KeepAliveCheck;
using comfygate::test::RawHttpConnection;
using comfygate::test::RawHttpResponse;

class ModuleFramingTest : public ComfyGatewayTest
{
    CPPUNIT_TEST_SUITE(ModuleFramingTest);
    CPPUNIT_TEST(refusalsKeepTheConnectionInStep);
    CPPUNIT_TEST(deleted204HasNoFraming);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override
    {
        _comfy->addUser("default", "default"); // ComfyUI's single user
        useServer(startServerWithAccounts({{"alice", "user"}, {"gus", "guest"}, {"boss", "owner"}},
                                          "module-framing-test-secret-key-0123456789abcdef",
                                          "auth,comfy-proxy,model-download,userdata", {{"comfy.models_dir", _models.path()}}));
        _alice = bearer("alice");
        _gus = bearer("gus");
    }

    void refusalsKeepTheConnectionInStep()
    {
        const KeepAliveCheck check(_server->port(), "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 200, "\"ok\"");
        check.assertInStep("auth: a wrong password",
                           post("/login", "", R"({"username":"alice","password":"not-the-password"})"), 401);
        check.assertInStep("auth: an MSS route without a token",
                           post("/mss-login/me/sessions/revoke", "", R"({"all":true})"), 401);
        check.assertInStep("userdata: a workflow saved without permission",
                           post("/userdata/workflows%2Fx.json", _gus, R"({"nodes":[]})"), 403);
        check.assertInStep("userdata: a setting that is not JSON", post("/settings/x", _alice, "{value-a"), 400);
        check.assertInStep("comfy-proxy: a prompt without permission", post("/prompt", _gus, R"({"prompt":{}})"), 403);
        check.assertInStep("comfy-proxy: a prompt that is not JSON", post("/prompt", _alice, "\"value-a\""), 400);
        check.assertInStep("model-download: a download without permission",
                           post("/mss-login/api/model-download/download", _gus, R"({"url":"x"})"), 403);
    }

    void deleted204HasNoFraming()
    {
        const auto owner = comfygate::test::login(*_client, "alice", accountPassword);
        auto saved = _client->postJson("/userdata/workflows%2Fframing.json", "{}", owner);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(saved.body, 200, saved.status);
        RawHttpConnection connection(_server->port());
        connection.write(KeepAliveCheck::request("DELETE", "/userdata/workflows%2Fframing.json",
                                                 "Authorization: " + owner.at("Authorization") + "\r\n", "") +
                         "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
        try {
            const RawHttpResponse deleted = connection.read("DELETE");
            CPPUNIT_ASSERT_EQUAL(204, deleted.status);
            CPPUNIT_ASSERT_EQUAL(std::string("No Content"), deleted.reason);
            CPPUNIT_ASSERT_EQUAL(200, connection.read().status);
        } catch (const std::runtime_error& e) {
            CPPUNIT_FAIL(e.what());
        }
    }

private:
    /// "Authorization: Bearer <a fresh session of name>\r\n"
    std::string bearer(const std::string& name) const
    {
        return "Authorization: " + comfygate::test::login(*_client, name, accountPassword).at("Authorization") + "\r\n";
    }

    static std::string post(const std::string& path, const std::string& headers, const std::string& body)
    {
        return KeepAliveCheck::request("POST", path, headers + "Content-Type: application/json\r\n", body);
    }

    comfygate::test::TempDir _models;
    /// Authorization header lines of alice (user) and gus (guest).
    std::string _alice;
    std::string _gus;
};

CPPUNIT_TEST_SUITE_REGISTRATION(ModuleFramingTest);
