// HTTP/1.1 framing of the real comfygate binary over raw sockets, read by a strict parser:
// early answers never leave a request body behind on a keep-alive connection, bodiless
// answers carry no framing, reason phrases, request framing and head limits.
#include "KeepAliveCheck.h"
#include "RawHttpConnection.h"
#include "ServerProcess.h"
#include "TestPaths.h"

#include <cppunit/extensions/HelperMacros.h>

#include <memory>
#include <thread>

using comfygate::test::KeepAliveCheck;
using comfygate::test::RawHttpConnection;
using comfygate::test::RawHttpResponse;
using comfygate::test::ServerProcess;

namespace {

const std::string user = "Authorization: Bearer fixture:alice:user\r\n";
const std::string guest = "Authorization: Bearer fixture:gus:guest\r\n";
const std::string follower = "GET /fixture/items/follower HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

std::string post(const std::string& path, const std::string& headers, const std::string& body)
{
    return KeepAliveCheck::request("POST", path, headers, body);
}

} // namespace

class HttpConformanceTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(HttpConformanceTest);
    CPPUNIT_TEST(earlyAnswersKeepTheConnectionInStep);
    CPPUNIT_TEST(unreadChunkedBodyIsDrained);
    CPPUNIT_TEST(chunkedBodiesEndAfterTheirTrailers);
    CPPUNIT_TEST(malformedChunkedBodyClosesTheConnection);
    CPPUNIT_TEST(bodyOverTheDrainLimitClosesTheConnection);
    CPPUNIT_TEST(bodyThatDoesNotArriveClosesTheConnection);
    CPPUNIT_TEST(postWithoutFramingHasNoBody);
    CPPUNIT_TEST(expectContinueIsAnsweredOnlyWhenTheBodyIsWanted);
    CPPUNIT_TEST(headAnswersHaveNoBodyFraming);
    CPPUNIT_TEST(everyStatusHasItsReasonPhrase);
    CPPUNIT_TEST(untrustworthyContentLengthIsRefused);
    CPPUNIT_TEST(transferEncodingOtherThanChunkedIsRefused);
    CPPUNIT_TEST(longRequestTargetIs414);
    CPPUNIT_TEST(headerLimitsAre431);
    CPPUNIT_TEST(optionsIsAnEmpty200OnAnyPath);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override
    {
        _server = std::make_unique<ServerProcess>(std::map<std::string, std::string>{
            {"modules.dir", COMFYGATE_TEST_MODULE_DIR},
            {"modules.enabled", "fixture,fixture_auth"},
            {"http.trusted_proxies", "127.0.0.1"},
            {"http.ip_deny", "10.66.0.0/16"}});
        _server->start();
    }

    void tearDown() override { _server.reset(); }

    void earlyAnswersKeepTheConnectionInStep()
    {
        const KeepAliveCheck check(_server->port(), follower, 200, "\"follower\"");
        check.assertInStep("404", post("/nowhere", user, "\"value-a\""), 404);
        check.assertInStep("405", post("/fixture/ping", user, "\"value-a\""), 405);
        check.assertInStep("400 bad path", post("/fixture/../ping", user, "\"value-a\""), 400);
        check.assertInStep("401", post("/fixture/echo", "", "\"value-a\""), 401);
        check.assertInStep("403 permission", post("/fixture/echo", guest, "\"value-a\""), 403);
        check.assertInStep("403 IP deny", post("/fixture/echo", user + "X-Forwarded-For: 10.66.0.7\r\n", "\"value-a\""),
                           403);
        check.assertInStep("413", post("/fixture/echo", user, std::string(100, 'x')), 413);
        check.assertInStep("200 that read its body", post("/fixture/echo", user, "\"value-a\""), 200);
    }

    void unreadChunkedBodyIsDrained()
    {
        const KeepAliveCheck check(_server->port(), follower, 200, "\"follower\"");
        check.assertInStep("chunked 403",
                           "POST /fixture/echo HTTP/1.1\r\nHost: x\r\n" + guest +
                               "Transfer-Encoding: chunked\r\n\r\n7\r\n\"value\"\r\n3;ext=1\r\nabc\r\n0\r\n\r\n",
                           403);
    }

    void chunkedBodiesEndAfterTheirTrailers()
    {
        const KeepAliveCheck check(_server->port(), follower, 200, "\"follower\"");
        const std::string chunkedWithTrailers =
            "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-Checksum: 1\r\nX-Other: 2\r\n\r\n";
        check.assertInStep("chunked with trailers, read",
                           "POST /fixture/echo HTTP/1.1\r\nHost: x\r\n" + user + chunkedWithTrailers, 200);
        check.assertInStep("chunked with trailers, unread", "POST /nowhere HTTP/1.1\r\nHost: x\r\n" + chunkedWithTrailers,
                           404);
    }

    void malformedChunkedBodyClosesTheConnection()
    {
        for (const std::string body : {"3\r\nabcX\r\n0\r\n\r\n", "zz\r\nabc\r\n0\r\n\r\n", "3\nabc\r\n0\r\n\r\n"})
            assertRefusedAndClosed("POST /nowhere HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + body +
                                       follower,
                                   404, body);
    }

    void bodyOverTheDrainLimitClosesTheConnection()
    {
        RawHttpConnection connection(_server->port());
        connection.write(post("/nowhere", "", std::string(200 * 1024, 'x')) + follower);
        const RawHttpResponse answer = connection.read();
        CPPUNIT_ASSERT_EQUAL(404, answer.status);
        CPPUNIT_ASSERT(answer.closes());
        CPPUNIT_ASSERT(connection.closedByServer());
    }

    void bodyThatDoesNotArriveClosesTheConnection()
    {
        RawHttpConnection connection(_server->port());
        connection.write("POST /nowhere HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nhalf");
        const auto started = std::chrono::steady_clock::now();
        const RawHttpResponse answer = connection.read();
        CPPUNIT_ASSERT_EQUAL(404, answer.status);
        CPPUNIT_ASSERT(answer.closes());
        CPPUNIT_ASSERT(std::chrono::steady_clock::now() - started < std::chrono::seconds(5));
        connection.write("rest");
        CPPUNIT_ASSERT(connection.closedByServer());
    }

    void postWithoutFramingHasNoBody()
    {
        RawHttpConnection connection(_server->port());
        connection.write("POST /fixture/echo HTTP/1.1\r\nHost: x\r\n" + user + "\r\n" + follower);
        const RawHttpResponse echo = connection.read();
        CPPUNIT_ASSERT_EQUAL(200, echo.status);
        CPPUNIT_ASSERT_EQUAL(std::string(), echo.body);
        const RawHttpResponse next = connection.read();
        CPPUNIT_ASSERT_EQUAL(200, next.status);
        CPPUNIT_ASSERT(next.body.find("\"follower\"") != std::string::npos);
    }

    void expectContinueIsAnsweredOnlyWhenTheBodyIsWanted()
    {
        RawHttpConnection refused(_server->port());
        refused.write("POST /fixture/echo HTTP/1.1\r\nHost: x\r\n" + guest +
                      "Expect: 100-continue\r\nContent-Length: 9\r\n\r\n");
        const RawHttpResponse refusal = refused.read();
        CPPUNIT_ASSERT_EQUAL(403, refusal.status);
        CPPUNIT_ASSERT(refusal.closes());

        RawHttpConnection accepted(_server->port());
        accepted.write("POST /fixture/echo HTTP/1.1\r\nHost: x\r\n" + user +
                       "Expect: 100-continue\r\nContent-Length: 9\r\n\r\n");
        CPPUNIT_ASSERT_EQUAL(100, accepted.read().status);
        accepted.write("\"value-a\"" + follower);
        const RawHttpResponse echo = accepted.read();
        CPPUNIT_ASSERT_EQUAL(200, echo.status);
        CPPUNIT_ASSERT_EQUAL(std::string("\"value-a\""), echo.body);
        CPPUNIT_ASSERT_EQUAL(200, accepted.read().status);
    }

    void headAnswersHaveNoBodyFraming()
    {
        RawHttpConnection connection(_server->port());
        connection.write("HEAD /fixture/items/a HTTP/1.1\r\nHost: x\r\n\r\nHEAD /nowhere HTTP/1.1\r\nHost: x\r\n\r\n" +
                         follower);
        const RawHttpResponse item = connection.read("HEAD");
        CPPUNIT_ASSERT_EQUAL(200, item.status);
        CPPUNIT_ASSERT_EQUAL(std::string(), item.body);
        const RawHttpResponse nowhere = connection.read("HEAD");
        CPPUNIT_ASSERT_EQUAL(404, nowhere.status);
        CPPUNIT_ASSERT_EQUAL(std::string("Not Found"), nowhere.reason);
        CPPUNIT_ASSERT(connection.read().body.find("\"follower\"") != std::string::npos);
    }

    void everyStatusHasItsReasonPhrase()
    {
        const std::vector<std::tuple<std::string, int, std::string>> cases{
            {follower, 200, "OK"},
            {post("/fixture/echo", "", "x"), 401, "Unauthorized"},
            {post("/fixture/echo", guest, "x"), 403, "Forbidden"},
            {post("/nowhere", "", "x"), 404, "Not Found"},
            {post("/fixture/ping", "", "x"), 405, "Method Not Allowed"},
            {post("/fixture/echo", user, std::string(100, 'x')), 413, "Request Entity Too Large"},
            {"POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 501, "Not Implemented"},
        };
        for (const auto& [request, status, reason] : cases) {
            RawHttpConnection connection(_server->port());
            connection.write(request);
            const RawHttpResponse answer = connection.read();
            CPPUNIT_ASSERT_EQUAL(status, answer.status);
            CPPUNIT_ASSERT_EQUAL(reason, answer.reason);
        }
    }

    void untrustworthyContentLengthIsRefused()
    {
        for (const std::string lengths :
             {"Content-Length: 3\r\nContent-Length: 3\r\n", "Content-Length: 3\r\nContent-Length: 4\r\n",
              "Content-Length: abc\r\n", "Content-Length: +3\r\n", "Content-Length: 3,0\r\n",
              "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n"}) {
            assertRefusedAndClosed("POST /fixture/ping HTTP/1.1\r\nHost: x\r\n" + lengths + "\r\nabc" + follower, 400,
                                   lengths);
        }
    }

    void transferEncodingOtherThanChunkedIsRefused()
    {
        for (const std::string encoding : {"gzip", "gzip, chunked", "identity"})
            assertRefusedAndClosed("POST /fixture/ping HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: " + encoding +
                                       "\r\n\r\n0\r\n\r\n" + follower,
                                   501, encoding);
    }

    void longRequestTargetIs414()
    {
        assertRefusedAndClosed("GET /fixture/items/" + std::string(20000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n", 414,
                               "long target");
    }

    void headerLimitsAre431()
    {
        std::string many;
        for (int i = 0; i < 150; ++i)
            many += "X-Field-" + std::to_string(i) + ": v\r\n";
        assertRefusedAndClosed("GET /healthz HTTP/1.1\r\nHost: x\r\n" + many + "\r\n", 431, "150 fields");
        assertRefusedAndClosed("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(10000, 'v') + "\r\n\r\n",
                               431, "a 10000-byte field");
        assertRefusedAndClosed("GET /healthz HTTP/1.1\r\nHost: x\r\n" + std::string(300, 'N') + ": v\r\n\r\n", 431,
                               "a 300-byte field name");
    }

    void optionsIsAnEmpty200OnAnyPath()
    {
        RawHttpConnection connection(_server->port());
        connection.write("OPTIONS /fixture/echo HTTP/1.1\r\nHost: x\r\n\r\nOPTIONS /nowhere HTTP/1.1\r\nHost: "
                         "x\r\n\r\nOPTIONS /fixture/items/a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc" +
                         follower);
        const RawHttpResponse echo = connection.read("OPTIONS");
        CPPUNIT_ASSERT_EQUAL(200, echo.status);
        CPPUNIT_ASSERT_EQUAL(std::string("0"), echo.header("Content-Length"));
        CPPUNIT_ASSERT_EQUAL(std::string("OPTIONS, POST"), echo.header("Allow"));
        const RawHttpResponse nowhere = connection.read("OPTIONS");
        CPPUNIT_ASSERT_EQUAL(200, nowhere.status);
        CPPUNIT_ASSERT_EQUAL(0, nowhere.count("Allow"));
        CPPUNIT_ASSERT_EQUAL(std::string(), nowhere.body);
        const RawHttpResponse item = connection.read("OPTIONS");
        CPPUNIT_ASSERT_EQUAL(std::string("GET, HEAD, OPTIONS"), item.header("Allow"));
        CPPUNIT_ASSERT(connection.read().body.find("\"follower\"") != std::string::npos);

        connection.write("OPTIONS /fixture/options HTTP/1.1\r\nHost: x\r\n\r\nOPTIONS /fixture/options HTTP/1.1\r\nHost: "
                         "x\r\n" + user + "\r\n");
        CPPUNIT_ASSERT_EQUAL(401, connection.read("OPTIONS").status);
        CPPUNIT_ASSERT_EQUAL(std::string("own options"), connection.read("OPTIONS").body);
    }

private:
    void assertRefusedAndClosed(const std::string& request, int status, const std::string& what)
    {
        try {
            RawHttpConnection connection(_server->port());
            connection.write(request);
            const RawHttpResponse answer = connection.read();
            CPPUNIT_ASSERT_EQUAL_MESSAGE(what + ": " + answer.body, status, answer.status);
            CPPUNIT_ASSERT_MESSAGE(what + ": no Connection: close", answer.closes());
            CPPUNIT_ASSERT_MESSAGE(what + ": the connection stays open", connection.closedByServer());
        } catch (const std::runtime_error& e) {
            CPPUNIT_FAIL(what + ": " + e.what());
        }
    }

    std::unique_ptr<ServerProcess> _server;
};

CPPUNIT_TEST_SUITE_REGISTRATION(HttpConformanceTest);
