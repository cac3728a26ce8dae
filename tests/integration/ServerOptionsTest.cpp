// Startup options of the real binary: TLS, environment configuration, the CLI's --version
// and --help, and the example module answering over HTTP.
#include "HttpTestClient.h"
#include "TestPaths.h"
#include "ServerProcess.h"

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/Net/AcceptCertificateHandler.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/StreamCopier.h>

#include <cstdlib>

using comfygate::test::HttpTestClient;
using comfygate::test::ServerProcess;

class ServerOptionsTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(ServerOptionsTest);
    CPPUNIT_TEST(tlsServesHttpsWithHsts);
    CPPUNIT_TEST(environmentConfiguresTheServer);
    CPPUNIT_TEST(badEnvironmentValueNamesTheVariable);
    CPPUNIT_TEST(versionAndHelp);
    CPPUNIT_TEST(exampleModuleGreetsAndCounts);
    CPPUNIT_TEST_SUITE_END();

public:
    void tlsServesHttpsWithHsts()
    {
        comfygate::test::TempDir certs;
        const std::string command = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost -keyout " +
                                    certs.file("key.pem") + " -out " + certs.file("cert.pem") + " 2>/dev/null";
        CPPUNIT_ASSERT_EQUAL(0, std::system(command.c_str()));
        ServerProcess server({{"http.tls.cert", certs.file("cert.pem")}, {"http.tls.key", certs.file("key.pem")}});
        server.start();

        Poco::Net::Context::Ptr context =
            new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", Poco::Net::Context::VERIFY_NONE);
        Poco::Net::HTTPSClientSession session("127.0.0.1", static_cast<Poco::UInt16>(server.port()), context);
        Poco::Net::HTTPRequest request("GET", "/healthz", Poco::Net::HTTPMessage::HTTP_1_1);
        session.sendRequest(request);
        Poco::Net::HTTPResponse response;
        std::string body;
        Poco::StreamCopier::copyToString(session.receiveResponse(response), body);
        CPPUNIT_ASSERT_EQUAL(200, static_cast<int>(response.getStatus()));
        CPPUNIT_ASSERT(body.find("\"ok\"") != std::string::npos);
        CPPUNIT_ASSERT(response.get("Strict-Transport-Security", "").find("max-age=31536000") != std::string::npos);
    }

    void environmentConfiguresTheServer()
    {
        // COMFYGATE_HTTP_IP_DENY from the environment refuses loopback; --set would win over it.
        ServerProcess server({}, {{"COMFYGATE_HTTP_IP_DENY", "127.0.0.0/8"}});
        server.start();
        CPPUNIT_ASSERT_EQUAL(403, HttpTestClient(server.port()).get("/healthz").status);

        ServerProcess overridden({{"http.ip_deny", ""}}, {{"COMFYGATE_HTTP_IP_DENY", "127.0.0.0/8"}});
        overridden.start();
        CPPUNIT_ASSERT_EQUAL(200, HttpTestClient(overridden.port()).get("/healthz").status);
    }

    void badEnvironmentValueNamesTheVariable()
    {
        ServerProcess server({}, {{"SEPERATE_USERS", "perhaps"}});
        CPPUNIT_ASSERT_THROW(server.start(), std::runtime_error);
        CPPUNIT_ASSERT_MESSAGE(server.stderrText(),
                               server.stderrText().find("comfy.separate_users (from SEPERATE_USERS)") != std::string::npos);
    }

    void versionAndHelp()
    {
        ServerProcess server;
        std::string out, err;
        CPPUNIT_ASSERT_EQUAL(0, server.runCommand({"--version"}, out, err));
        CPPUNIT_ASSERT(out.find("comfygate ") == 0);
        CPPUNIT_ASSERT_EQUAL(0, server.runCommand({"--help"}, out, err));
        for (const char* word : {"serve", "migrate", "modules", "policy", "--config", "--set"})
            CPPUNIT_ASSERT_MESSAGE(word, out.find(word) != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(0, server.runCommand({"policy", "--help"}, out, err));
        CPPUNIT_ASSERT(out.find("file:line") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(2, server.runCommand({"--bogus"}, out, err));
        CPPUNIT_ASSERT(err.find("unknown option --bogus") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(0, server.runCommand({"migrate"}, out, err));
        CPPUNIT_ASSERT(out.find("kernel 1 ") != std::string::npos);
    }

    void exampleModuleGreetsAndCounts()
    {
        ServerProcess server(std::map<std::string, std::string>{
            {"modules.dir", COMFYGATE_MODULE_DIR "," COMFYGATE_TEST_MODULE_DIR},
            {"modules.enabled", "example,fixture_auth"},
            {"modules.example.greeting", "welcome"}});
        server.start();
        HttpTestClient client(server.port());
        CPPUNIT_ASSERT_EQUAL(401, client.get("/example/greeting").status);
        CPPUNIT_ASSERT_EQUAL(403, client.get("/example/greeting", {{"Authorization", "Bearer fixture:gus:guest"}}).status);
        const std::map<std::string, std::string> ann{{"Authorization", "Bearer fixture:ann:user"}};
        auto first = client.get("/example/greeting", ann);
        CPPUNIT_ASSERT_EQUAL(200, first.status);
        CPPUNIT_ASSERT_EQUAL(std::string("welcome, ann"), first.json()->getValue<std::string>("message"));
        CPPUNIT_ASSERT_EQUAL(1, first.json()->getValue<int>("greetings"));
        CPPUNIT_ASSERT_EQUAL(2, client.get("/api/example/greeting", ann).json()->getValue<int>("greetings"));
        // The count lives in the database: a restart keeps it.
        server.stop();
        server.start();
        HttpTestClient again(server.port());
        CPPUNIT_ASSERT_EQUAL(3, again.get("/example/greeting", ann).json()->getValue<int>("greetings"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ServerOptionsTest);
