#include "CurlHttpClient.h"
#include "HttpClientRetry.h"
#include "TestHttpServer.h"

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/String.h>

#include <cppunit/extensions/HelperMacros.h>
#include <openssl/evp.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <memory>
#include <thread>

using comfygate::CurlHttpClient;
using comfygate::HttpClientError;
using comfygate::HttpClientRequest;
using comfygate::HttpClientResponse;
using comfygate::HttpClientRetry;
using comfygate::test::TestHttpRequest;
using comfygate::test::TestHttpServer;
using Poco::Net::HTTPResponse;
using Poco::Net::HTTPServerResponse;
using namespace std::chrono_literals;

namespace {

using Clock = std::chrono::steady_clock;

void redirect(HTTPServerResponse& response, HTTPResponse::HTTPStatus status,
              const std::string& location)
{
    response.setStatusAndReason(status);
    response.set("Location", location);
    response.set("X-Hop", "redirect");
    response.setContentLength(13);
    response.send() << "redirect body";
}

void reply(HTTPServerResponse& response, const std::string& body,
           HTTPResponse::HTTPStatus status = HTTPResponse::HTTP_OK)
{
    response.setStatusAndReason(status);
    response.setContentLength(static_cast<std::streamsize>(body.size()));
    response.send() << body;
}

char patternByte(std::uint64_t offset)
{
    return static_cast<char>((offset * 7 + offset / 4096) % 251);
}

void fillPattern(std::vector<char>& buffer, std::uint64_t offset)
{
    for (std::size_t i = 0; i < buffer.size(); ++i)
        buffer[i] = patternByte(offset + i);
}

class Sha256
{
public:
    Sha256() : _context(EVP_MD_CTX_new(), &EVP_MD_CTX_free)
    {
        EVP_DigestInit_ex(_context.get(), EVP_sha256(), nullptr);
    }
    void update(const char* data, std::size_t size)
    {
        EVP_DigestUpdate(_context.get(), data, size);
    }
    std::string hex()
    {
        unsigned char digest[EVP_MAX_MD_SIZE];
        unsigned int length = 0;
        EVP_DigestFinal_ex(_context.get(), digest, &length);
        static const char digits[] = "0123456789abcdef";
        std::string result;
        for (unsigned int i = 0; i < length; ++i) {
            result += digits[digest[i] >> 4];
            result += digits[digest[i] & 15];
        }
        return result;
    }

private:
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> _context;
};

long peakResidentKiB()
{
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("VmHWM:", 0) == 0)
            return std::stol(line.substr(6));
    }
    return -1;
}

/// A loopback port with nothing listening on it.
unsigned short closedPort()
{
    Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
    const unsigned short port = socket.address().port();
    socket.close();
    return port;
}

template <typename Action>
std::string errorOf(Action action, bool& retryable)
{
    try {
        action();
    } catch (const HttpClientError& error) {
        retryable = error.retryable();
        return error.what();
    }
    CPPUNIT_FAIL("expected an HttpClientError");
    return {};
}

bool contains(const std::string& text, const std::string& part)
{
    return text.find(part) != std::string::npos;
}

} // namespace

class CurlHttpClientTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(CurlHttpClientTest);
    CPPUNIT_TEST(testGetReturnsStatusHeadersAndBody);
    CPPUNIT_TEST(testPostSendsBodyAndHeaders);
    CPPUNIT_TEST(testHeadReturnsHeadersWithoutBody);
    CPPUNIT_TEST(testRelativeRedirectChainIsFollowedHopByHop);
    CPPUNIT_TEST(testRedirectStatusesDecideMethodAndBody);
    CPPUNIT_TEST(testRedirectNotFollowedWhenDisabled);
    CPPUNIT_TEST(testAuthorizationKeptOnSameHostRedirect);
    CPPUNIT_TEST(testSecretsNotSentAfterCrossHostRedirect);
    CPPUNIT_TEST(testAuthorizationSentToCredentialHost);
    CPPUNIT_TEST(testAllowRedirectRefusal);
    CPPUNIT_TEST(testNonHttpRedirectRefused);
    CPPUNIT_TEST(testTooManyRedirects);
    CPPUNIT_TEST(testMaxBytesWithContentLength);
    CPPUNIT_TEST(testMaxBytesWithoutContentLength);
    CPPUNIT_TEST(testRangeRequest);
    CPPUNIT_TEST(testStreamsLargeBodyWithFlatMemory);
    CPPUNIT_TEST(testSinkSeesFinalHopOnly);
    CPPUNIT_TEST(testSinkAbort);
    CPPUNIT_TEST(testRetryOn503HonoursRetryAfter);
    CPPUNIT_TEST(testRetryOn429HonoursRateLimitReset);
    CPPUNIT_TEST(testLastRetryableStatusIsReturned);
    CPPUNIT_TEST(testNoRetryOn404);
    CPPUNIT_TEST(testRetryOnConnectionRefused);
    CPPUNIT_TEST(testStallIsRetryableError);
    CPPUNIT_TEST(testStreamNotRetriedAfterBytesReachedSink);
    CPPUNIT_TEST(testResponseHeadersSeenBeforeTheBody);
    CPPUNIT_TEST(testResponseHeadersCanRefuseTheBody);
    CPPUNIT_TEST(testTotalTimeout);
    CPPUNIT_TEST(testHeaderInjectionRefused);
    CPPUNIT_TEST(testConcurrentRequests);
    CPPUNIT_TEST(testRedactUrl);
    CPPUNIT_TEST(testRetryAfterAndBackoff);
    CPPUNIT_TEST_SUITE_END();

public:
    void testGetReturnsStatusHeadersAndBody()
    {
        TestHttpServer server;
        server.on("GET", "/hello", [](const TestHttpRequest&, HTTPServerResponse& response) {
            response.set("X-Answer", "42");
            reply(response, "hello");
        });
        CurlHttpClient client;
        HttpClientRequest request;
        request.url = server.url("/hello?a=1");
        request.headers = {{"X-Custom", "yes"}};

        const HttpClientResponse response = client.perform(request);

        CPPUNIT_ASSERT_EQUAL(200L, response.status);
        CPPUNIT_ASSERT_EQUAL(std::string("hello"), response.body);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(5), response.bytesReceived);
        CPPUNIT_ASSERT_EQUAL(1, response.attempts);
        CPPUNIT_ASSERT_EQUAL(server.url("/hello?a=1"), response.finalUrl);
        CPPUNIT_ASSERT_EQUAL(std::string("42"), response.header("X-ANSWER").value_or(""));
        const bool lowerCased =
            std::all_of(response.headers.begin(), response.headers.end(), [](const auto& header) {
                return Poco::toLower(header.first) == header.first;
            });
        CPPUNIT_ASSERT(lowerCased);
        CPPUNIT_ASSERT(!response.header("x-missing"));

        const auto received = server.requests();
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), received.size());
        CPPUNIT_ASSERT_EQUAL(std::string("GET"), received[0].method);
        CPPUNIT_ASSERT_EQUAL(std::string("a=1"), received[0].query);
        CPPUNIT_ASSERT_EQUAL(std::string("yes"), received[0].header("x-custom").value_or(""));
        CPPUNIT_ASSERT_EQUAL(std::string("comfygate/1"),
                             received[0].header("User-Agent").value_or(""));
    }

    void testPostSendsBodyAndHeaders()
    {
        TestHttpServer server;
        server.on(
            "POST", "/echo", [](const TestHttpRequest& request, HTTPServerResponse& response) {
                reply(response, request.method + ":" + request.body, HTTPResponse::HTTP_CREATED);
            });
        CurlHttpClient client;
        HttpClientRequest request;
        request.method = "POST";
        request.url = server.url("/echo");
        request.body = std::string(3000, 'p'); // large enough that curl would otherwise Expect
        request.headers = {{"Content-Type", "application/json"}};

        const auto response = client.perform(request);

        CPPUNIT_ASSERT_EQUAL(201L, response.status);
        CPPUNIT_ASSERT_EQUAL("POST:" + request.body, response.body);
        const auto received = server.requests();
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), received.size());
        CPPUNIT_ASSERT_EQUAL(request.body, received[0].body);
        CPPUNIT_ASSERT_EQUAL(std::string("application/json"),
                             received[0].header("Content-Type").value_or(""));
        CPPUNIT_ASSERT(!received[0].header("Expect"));
    }

    void testHeadReturnsHeadersWithoutBody()
    {
        TestHttpServer server;
        server.on("HEAD", "/model", [](const TestHttpRequest&, HTTPServerResponse& response) {
            response.setContentLength(123456);
            response.set("ETag", "\"abc\"");
            response.send();
        });
        CurlHttpClient client;
        HttpClientRequest request;
        request.method = "HEAD";
        request.url = server.url("/model");
        request.maxBytes = 100; // the announced length is not a body received

        const auto response = client.perform(request);

        CPPUNIT_ASSERT_EQUAL(200L, response.status);
        CPPUNIT_ASSERT(response.body.empty());
        CPPUNIT_ASSERT_EQUAL(std::string("123456"), response.header("content-length").value_or(""));
        CPPUNIT_ASSERT_EQUAL(std::string("\"abc\""), response.header("etag").value_or(""));
        CPPUNIT_ASSERT_EQUAL(std::string("HEAD"), server.requests().at(0).method);
    }

    void testRelativeRedirectChainIsFollowedHopByHop()
    {
        TestHttpServer server;
        server.on("GET", "/dir/a", [](const TestHttpRequest&, HTTPServerResponse& response) {
            redirect(response, HTTPResponse::HTTP_FOUND, "b?step=2");
        });
        server.on("GET", "/dir/b", [](const TestHttpRequest&, HTTPServerResponse& response) {
            redirect(response, HTTPResponse::HTTP_MOVED_PERMANENTLY, "../c?x=%2F");
        });
        server.on("GET", "/c", [](const TestHttpRequest&, HTTPServerResponse& response) {
            response.set("X-Final", "yes");
            reply(response, "done");
        });
        CurlHttpClient client;
        HttpClientRequest request;
        request.url = server.url("/dir/a");

        const auto response = client.perform(request);

        CPPUNIT_ASSERT_EQUAL(200L, response.status);
        CPPUNIT_ASSERT_EQUAL(std::string("done"), response.body);
        CPPUNIT_ASSERT_EQUAL(server.url("/c?x=%2F"), response.finalUrl);
        CPPUNIT_ASSERT_EQUAL(std::string("yes"), response.header("x-final").value_or(""));
        CPPUNIT_ASSERT(!response.header("x-hop")); // headers of the final hop only
        const auto received = server.requests();
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), received.size());
        CPPUNIT_ASSERT_EQUAL(std::string("/dir/a"), received[0].uri);
        CPPUNIT_ASSERT_EQUAL(std::string("/dir/b?step=2"), received[1].uri);
        CPPUNIT_ASSERT_EQUAL(std::string("/c?x=%2F"), received[2].uri);
    }

    void testRedirectStatusesDecideMethodAndBody()
    {
        TestHttpServer server;
        server.on("POST", "/see-other", [](const TestHttpRequest&, HTTPServerResponse& response) {
            redirect(response, HTTPResponse::HTTP_SEE_OTHER, "/target");
        });
        server.on("POST", "/found", [](const TestHttpRequest&, HTTPServerResponse& response) {
            redirect(response, HTTPResponse::HTTP_FOUND, "/target");
        });
        server.on("POST", "/temporary", [](const TestHttpRequest&, HTTPServerResponse& response) {
            redirect(response, HTTPResponse::HTTP_TEMPORARY_REDIRECT, "/target");
        });
        server.on("PUT", "/permanent", [](const TestHttpRequest&, HTTPServerResponse& response) {
            redirect(response, HTTPResponse::HTTP_PERMANENT_REDIRECT, "/target");
        });
        server.on("*", "/target", [](const TestHttpRequest& request, HTTPServerResponse& response) {
            reply(response, request.method);
        });
        CurlHttpClient client;
        HttpClientRequest request;
        request.method = "POST";
        request.body = "{\"a\":1}";
        request.headers = {{"Content-Type", "application/json"}};

        auto send = [&](const std::string& method, const std::string& path) {
            server.clearRequests();
            request.method = method;
            request.url = server.url(path);
            const auto response = client.perform(request);
            CPPUNIT_ASSERT_EQUAL(std::size_t(2), server.requests().size());
            return std::make_pair(response.body, server.requests()[1]);
        };

        for (const char* path : {"/see-other", "/found"}) {
            const auto [method, target] = send("POST", path);
            CPPUNIT_ASSERT_EQUAL(std::string("GET"), method);
            CPPUNIT_ASSERT(target.body.empty());
            CPPUNIT_ASSERT(!target.header("Content-Type"));
        }
        {
            const auto [method, target] = send("POST", "/temporary");
            CPPUNIT_ASSERT_EQUAL(std::string("POST"), method);
            CPPUNIT_ASSERT_EQUAL(request.body, target.body);
        }
        {
            const auto [method, target] = send("PUT", "/permanent");
            CPPUNIT_ASSERT_EQUAL(std::string("PUT"), method);
            CPPUNIT_ASSERT_EQUAL(request.body, target.body);
        }
    }

    void testRedirectNotFollowedWhenDisabled()
    {
        TestHttpServer server;
        server.on("GET", "/a", [](const TestHttpRequest&, HTTPServerResponse& response) {
            redirect(response, HTTPResponse::HTTP_FOUND, "/b");
        });
        CurlHttpClient client;
        HttpClientRequest request;
        request.url = server.url("/a");
        request.followRedirects = false;

        const auto response = client.perform(request);

        CPPUNIT_ASSERT_EQUAL(302L, response.status);
        CPPUNIT_ASSERT_EQUAL(std::string("/b"), response.header("location").value_or(""));
        CPPUNIT_ASSERT_EQUAL(std::string("redirect body"), response.body);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), server.requests().size());
    }

    void testAuthorizationKeptOnSameHostRedirect()
    {
        TestHttpServer server;
        server.on("GET", "/start", [](const TestHttpRequest&, HTTPServerResponse& response) {
            redirect(response, HTTPResponse::HTTP_FOUND, "/next");
        });
        server.on("GET", "/next", [](const TestHttpRequest&, HTTPServerResponse& response) {
            reply(response, "ok");
        });
        CurlHttpClient client;
        HttpClientRequest request;
        request.url = server.url("/start");
        request.authorization = "Bearer same-host-secret";
        request.headers = {{"X-API-Key", "key-1"}};

        CPPUNIT_ASSERT_EQUAL(200L, client.perform(request).status);

        const auto next = server.requests("/next");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), next.size());
        CPPUNIT_ASSERT_EQUAL(std::string("Bearer same-host-secret"),
                             next[0].header("Authorization").value_or(""));
        CPPUNIT_ASSERT_EQUAL(std::string("key-1"), next[0].header("X-API-Key").value_or(""));
    }

    void testSecretsNotSentAfterCrossHostRedirect()
    {
        TestHttpServer api;
        TestHttpServer storage;
        storage.on("GET", "/blob", [](const TestHttpRequest&, HTTPServerResponse& response) {
            reply(response, "blob");
        });
        api.on("GET", "/download", [&](const TestHttpRequest&, HTTPServerResponse& response) {
            redirect(response, HTTPResponse::HTTP_FOUND, storage.url("/blob?sig=1"));
        });
        CurlHttpClient client;
        HttpClientRequest request;
        request.url = api.url("/download");
        request.authorization = "Bearer api-secret";
        request.headers = {{"X-API-Key", "key-1"}, {"Cookie", "session=s"}, {"X-Trace", "t1"}};

        const auto response = client.perform(request);

        CPPUNIT_ASSERT_EQUAL(std::string("blob"), response.body);
        CPPUNIT_ASSERT_EQUAL(storage.url("/blob?sig=1"), response.finalUrl);
        const auto first = api.requests().at(0);
        CPPUNIT_ASSERT_EQUAL(std::string("Bearer api-secret"),
                             first.header("Authorization").value_or(""));
        CPPUNIT_ASSERT_EQUAL(std::string("key-1"), first.header("X-API-Key").value_or(""));
        CPPUNIT_ASSERT_EQUAL(std::string("session=s"), first.header("Cookie").value_or(""));
        const auto received = storage.requests();
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), received.size());
        CPPUNIT_ASSERT(!received[0].header("Authorization"));
        CPPUNIT_ASSERT(!received[0].header("X-API-Key"));
        CPPUNIT_ASSERT(!received[0].header("Cookie"));
        CPPUNIT_ASSERT_EQUAL(std::string("t1"), received[0].header("X-Trace").value_or(""));
    }

    void testAuthorizationSentToCredentialHost()
    {
        TestHttpServer api;
        TestHttpServer mirror;
        mirror.on("GET", "/file", [](const TestHttpRequest&, HTTPServerResponse& response) {
            reply(response, "file");
        });
        api.on("GET", "/file", [&](const TestHttpRequest&, HTTPServerResponse& response) {
            redirect(response, HTTPResponse::HTTP_TEMPORARY_REDIRECT, mirror.url("/file"));
        });
        CurlHttpClient client;
        HttpClientRequest request;
        request.url = api.url("/file");
        request.authorization = "Bearer shared";
        request.credentialHosts = {"example.org", "127.0.0.1:" + std::to_string(mirror.port())};

        CPPUNIT_ASSERT_EQUAL(std::string("file"), client.perform(request).body);
        CPPUNIT_ASSERT_EQUAL(std::string("Bearer shared"),
                             mirror.requests().at(0).header("Authorization").value_or(""));

        mirror.clearRequests();
        request.credentialHosts = {"127.0.0.1:" + std::to_string(api.port())};
        CPPUNIT_ASSERT_EQUAL(std::string("file"), client.perform(request).body);
        CPPUNIT_ASSERT(!mirror.requests().at(0).header("Authorization"));
    }

    void testAllowRedirectRefusal()
    {
        TestHttpServer api;
        TestHttpServer elsewhere;
        api.on("GET", "/go", [&](const TestHttpRequest&, HTTPServerResponse& response) {
            redirect(response, HTTPResponse::HTTP_FOUND, elsewhere.url("/x"));
        });
        CurlHttpClient client;
        HttpClientRequest request;
        request.url = api.url("/go");
        request.maxAttempts = 3;
        std::vector<std::string> offered;
        request.allowRedirect = [&](const std::string& url) {
            offered.push_back(url);
            return false;
        };

        bool retryable = true;
        const std::string message = errorOf([&] { client.perform(request); }, retryable);

        CPPUNIT_ASSERT(contains(message, "redirect to 127.0.0.1 refused"));
        CPPUNIT_ASSERT(!retryable);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), offered.size());
        CPPUNIT_ASSERT_EQUAL(elsewhere.url("/x"), offered[0]);
        CPPUNIT_ASSERT(elsewhere.requests().empty());
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), api.requests().size());
    }

    void testNonHttpRedirectRefused()
    {
        TestHttpServer server;
        server.on("GET", "/go", [](const TestHttpRequest&, HTTPServerResponse& response) {
            redirect(response, HTTPResponse::HTTP_FOUND, "file:///etc/passwd");
        });
        CurlHttpClient client;
        HttpClientRequest request;
        request.url = server.url("/go");

        bool retryable = true;
        const std::string message = errorOf([&] { client.perform(request); }, retryable);
        CPPUNIT_ASSERT(contains(message, "refused"));
        CPPUNIT_ASSERT(!retryable);

        request.url = "ftp://127.0.0.1/x";
        CPPUNIT_ASSERT_THROW(client.perform(request), HttpClientError);
    }

    void testTooManyRedirects()
    {
        TestHttpServer server;
        server.on("GET", "/loop", [](const TestHttpRequest&, HTTPServerResponse& response) {
            redirect(response, HTTPResponse::HTTP_FOUND, "/loop");
        });
        CurlHttpClient client;
        HttpClientRequest request;
        request.url = server.url("/loop");
        request.maxRedirects = 3;

        bool retryable = true;
        const std::string message = errorOf([&] { client.perform(request); }, retryable);

        CPPUNIT_ASSERT(contains(message, "too many redirects"));
        CPPUNIT_ASSERT(!retryable);
        CPPUNIT_ASSERT_EQUAL(std::size_t(4), server.requests().size());
    }

    void testMaxBytesWithContentLength()
    {
        TestHttpServer server;
        server.on("GET", "/big", [](const TestHttpRequest&, HTTPServerResponse& response) {
            reply(response, std::string(2000, 'x'));
        });
        server.on("GET", "/exact", [](const TestHttpRequest&, HTTPServerResponse& response) {
            reply(response, std::string(1000, 'x'));
        });
        CurlHttpClient client;
        HttpClientRequest request;
        request.maxBytes = 1000;
        request.maxAttempts = 3;
        request.retryBaseDelay = 1ms;

        request.url = server.url("/exact");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1000), client.perform(request).body.size());

        request.url = server.url("/big");
        bool retryable = true;
        const std::string message = errorOf([&] { client.perform(request); }, retryable);
        CPPUNIT_ASSERT(contains(message, "exceeds"));
        CPPUNIT_ASSERT(!retryable);

        std::uint64_t delivered = 0;
        CPPUNIT_ASSERT_THROW(client.stream(request,
                                           [&](long, const char*, std::size_t size) {
                                               delivered += size;
                                               return true;
                                           }),
                             HttpClientError);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), delivered); // refused on the announced length
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), server.requests("/big").size());
    }

    void testMaxBytesWithoutContentLength()
    {
        TestHttpServer server;
        server.on("GET", "/chunked", [](const TestHttpRequest&, HTTPServerResponse& response) {
            response.setChunkedTransferEncoding(true);
            std::ostream& out = response.send();
            for (int i = 0; i < 64; ++i)
                out << std::string(1024, 'c') << std::flush;
        });
        CurlHttpClient client;
        HttpClientRequest request;
        request.url = server.url("/chunked");
        request.maxBytes = 10000;

        bool retryable = true;
        const std::string message = errorOf([&] { client.perform(request); }, retryable);
        CPPUNIT_ASSERT(contains(message, "exceeds"));
        CPPUNIT_ASSERT(!retryable);

        std::uint64_t delivered = 0;
        CPPUNIT_ASSERT_THROW(client.stream(request,
                                           [&](long, const char*, std::size_t size) {
                                               delivered += size;
                                               return true;
                                           }),
                             HttpClientError);
        CPPUNIT_ASSERT(delivered <= request.maxBytes);

        request.maxBytes = 64 * 1024;
        CPPUNIT_ASSERT_EQUAL(std::size_t(64 * 1024), client.perform(request).body.size());
    }

    void testRangeRequest()
    {
        TestHttpServer server;
        server.on("GET", "/file", [](const TestHttpRequest& request, HTTPServerResponse& response) {
            if (request.header("Range").value_or("") == "bytes=5-" &&
                request.header("If-Range").value_or("") == "\"v1\"") {
                response.set("Content-Range", "bytes 5-9/10");
                reply(response, "56789", HTTPResponse::HTTP_PARTIAL_CONTENT);
            } else {
                reply(response, "0123456789");
            }
        });
        CurlHttpClient client;
        HttpClientRequest request;
        request.url = server.url("/file");
        request.rangeFrom = 5;
        request.ifRange = "\"v1\"";

        const auto partial = client.perform(request);
        CPPUNIT_ASSERT_EQUAL(206L, partial.status);
        CPPUNIT_ASSERT_EQUAL(std::string("56789"), partial.body);
        CPPUNIT_ASSERT_EQUAL(std::string("bytes 5-9/10"),
                             partial.header("content-range").value_or(""));

        request.ifRange = "\"v0\"";
        const auto whole = client.perform(request);
        CPPUNIT_ASSERT_EQUAL(200L, whole.status);
        CPPUNIT_ASSERT_EQUAL(std::string("0123456789"), whole.body);

        request.ifRange.clear();
        client.perform(request);
        const auto received = server.requests();
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), received.size());
        CPPUNIT_ASSERT_EQUAL(std::string("bytes=5-"), received[2].header("Range").value_or(""));
        CPPUNIT_ASSERT(!received[2].header("If-Range"));
    }

    void testStreamsLargeBodyWithFlatMemory()
    {
        constexpr std::uint64_t total = 48ull * 1024 * 1024;
        constexpr std::size_t chunk = 64 * 1024;
        TestHttpServer server;
        server.on("GET", "/large", [&](const TestHttpRequest&, HTTPServerResponse& response) {
            response.setContentLength64(total);
            std::ostream& out = response.send();
            std::vector<char> buffer(chunk);
            for (std::uint64_t offset = 0; offset < total && out; offset += chunk) {
                fillPattern(buffer, offset);
                out.write(buffer.data(), static_cast<std::streamsize>(buffer.size()));
            }
        });
        Sha256 expected;
        std::vector<char> buffer(chunk);
        for (std::uint64_t offset = 0; offset < total; offset += chunk) {
            fillPattern(buffer, offset);
            expected.update(buffer.data(), buffer.size());
        }

        CurlHttpClient client;
        HttpClientRequest request;
        request.url = server.url("/large");
        request.maxBytes = total;
        Sha256 actual;
        std::uint64_t counted = 0;
        std::size_t largestCall = 0;
        long seenStatus = 0;
        const long peakBefore = peakResidentKiB();

        const auto response =
            client.stream(request, [&](long status, const char* data, std::size_t size) {
                seenStatus = status;
                counted += size;
                largestCall = std::max(largestCall, size);
                actual.update(data, size);
                return true;
            });

        const long growthKiB = peakResidentKiB() - peakBefore;
        CPPUNIT_ASSERT_EQUAL(200L, response.status);
        CPPUNIT_ASSERT_EQUAL(200L, seenStatus);
        CPPUNIT_ASSERT_EQUAL(total, counted);
        CPPUNIT_ASSERT_EQUAL(total, response.bytesReceived);
        CPPUNIT_ASSERT(response.body.empty());
        CPPUNIT_ASSERT_EQUAL(expected.hex(), actual.hex());
        CPPUNIT_ASSERT(largestCall <= 1024 * 1024);
        CPPUNIT_ASSERT_MESSAGE("peak memory grew by " + std::to_string(growthKiB) + " KiB",
                               growthKiB < 16 * 1024);
    }

    void testSinkSeesFinalHopOnly()
    {
        TestHttpServer server;
        server.on("GET", "/old", [](const TestHttpRequest&, HTTPServerResponse& response) {
            redirect(response, HTTPResponse::HTTP_MOVED_PERMANENTLY, "/gone");
        });
        server.on("GET", "/gone", [](const TestHttpRequest&, HTTPServerResponse& response) {
            reply(response, "not here", HTTPResponse::HTTP_NOT_FOUND);
        });
        CurlHttpClient client;
        HttpClientRequest request;
        request.url = server.url("/old");
        std::string received;
        std::vector<long> statuses;

        const auto response =
            client.stream(request, [&](long status, const char* data, std::size_t size) {
                statuses.push_back(status);
                received.append(data, size);
                return true;
            });

        CPPUNIT_ASSERT_EQUAL(404L, response.status);
        CPPUNIT_ASSERT_EQUAL(std::string("not here"), received);
        CPPUNIT_ASSERT(
            std::all_of(statuses.begin(), statuses.end(), [](long s) { return s == 404; }));
        CPPUNIT_ASSERT(response.body.empty());
    }

    void testSinkAbort()
    {
        TestHttpServer server;
        server.on("GET", "/data", [](const TestHttpRequest&, HTTPServerResponse& response) {
            reply(response, std::string(256 * 1024, 'd'));
        });
        CurlHttpClient client;
        HttpClientRequest request;
        request.url = server.url("/data");
        request.maxAttempts = 3;
        int calls = 0;

        bool retryable = true;
        const std::string message = errorOf(
            [&] {
                client.stream(request, [&](long, const char*, std::size_t) { return ++calls < 2; });
            },
            retryable);

        CPPUNIT_ASSERT(contains(message, "aborted by receiver"));
        CPPUNIT_ASSERT(!retryable);
        CPPUNIT_ASSERT_EQUAL(2, calls);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), server.requests().size());
    }

    void testRetryOn429HonoursRateLimitReset()
    {
        TestHttpServer server;
        std::atomic<int> calls{0};
        server.on("GET", "/limited", [&](const TestHttpRequest&, HTTPServerResponse& response) {
            if (++calls == 1) {
                // Hugging Face's form: no Retry-After, the window resets in t seconds.
                response.set("RateLimit", "\"resolvers\";r=0;t=1");
                response.set("RateLimit-Policy", "\"fixed window\";\"resolvers\";q=3000;w=300");
                reply(response, "slow down", HTTPResponse::HTTP_TOO_MANY_REQUESTS);
            } else {
                reply(response, "ready");
            }
        });
        CurlHttpClient client;
        HttpClientRequest request;
        request.url = server.url("/limited");
        request.maxAttempts = 2;
        request.retryBaseDelay = 1ms;
        request.retryMaxDelay = 5s;

        const auto started = Clock::now();
        const auto response = client.perform(request);
        const auto waited = Clock::now() - started;

        CPPUNIT_ASSERT_EQUAL(200L, response.status);
        CPPUNIT_ASSERT_EQUAL(2, response.attempts);
        CPPUNIT_ASSERT(waited >= 950ms); // not the 1 ms backoff
        CPPUNIT_ASSERT(waited < 3s);
    }

    void testRetryOn503HonoursRetryAfter()
    {
        TestHttpServer server;
        std::atomic<int> calls{0};
        server.on("GET", "/busy", [&](const TestHttpRequest&, HTTPServerResponse& response) {
            if (++calls == 1) {
                response.set("Retry-After", "1");
                reply(response, "later", HTTPResponse::HTTP_SERVICE_UNAVAILABLE);
            } else {
                reply(response, "ready");
            }
        });
        CurlHttpClient client;
        HttpClientRequest request;
        request.url = server.url("/busy");
        request.maxAttempts = 3;
        request.retryBaseDelay = 10ms;
        request.retryMaxDelay = 5s;

        const auto started = Clock::now();
        const auto response = client.perform(request);
        const auto waited = Clock::now() - started;

        CPPUNIT_ASSERT_EQUAL(200L, response.status);
        CPPUNIT_ASSERT_EQUAL(std::string("ready"), response.body);
        CPPUNIT_ASSERT_EQUAL(2, response.attempts);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), server.requests().size());
        CPPUNIT_ASSERT(waited >= 950ms);
        CPPUNIT_ASSERT(waited < 3s);
    }

    void testLastRetryableStatusIsReturned()
    {
        TestHttpServer server;
        server.on("GET", "/down", [](const TestHttpRequest&, HTTPServerResponse& response) {
            reply(response, "still down", HTTPResponse::HTTP_BAD_GATEWAY);
        });
        CurlHttpClient client;
        HttpClientRequest request;
        request.url = server.url("/down");
        request.maxAttempts = 3;
        request.retryBaseDelay = 5ms;
        request.retryMaxDelay = 20ms;

        std::string streamed;
        const auto response = client.stream(request, [&](long, const char* data, std::size_t size) {
            streamed.append(data, size);
            return true;
        });

        CPPUNIT_ASSERT_EQUAL(502L, response.status);
        CPPUNIT_ASSERT_EQUAL(3, response.attempts);
        CPPUNIT_ASSERT_EQUAL(std::string("still down"), streamed); // of the last attempt only
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), server.requests().size());
    }

    void testNoRetryOn404()
    {
        TestHttpServer server;
        CurlHttpClient client;
        HttpClientRequest request;
        request.url = server.url("/nothing");
        request.maxAttempts = 4;
        request.retryBaseDelay = 1ms;

        const auto response = client.perform(request);

        CPPUNIT_ASSERT_EQUAL(404L, response.status);
        CPPUNIT_ASSERT_EQUAL(1, response.attempts);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), server.requests().size());
    }

    void testRetryOnConnectionRefused()
    {
        CurlHttpClient client;
        HttpClientRequest request;
        request.url = "http://127.0.0.1:" + std::to_string(closedPort()) + "/x?token=secret";
        request.maxAttempts = 3;
        request.retryBaseDelay = 5ms;
        request.retryMaxDelay = 10ms;

        bool retryable = false;
        const std::string message = errorOf([&] { client.perform(request); }, retryable);

        CPPUNIT_ASSERT(retryable);
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, "(3 attempts)"));
        CPPUNIT_ASSERT_MESSAGE(message, !contains(message, "secret"));

        request.maxAttempts = 1;
        const std::string single = errorOf([&] { client.perform(request); }, retryable);
        CPPUNIT_ASSERT(retryable);
        CPPUNIT_ASSERT_MESSAGE(single, !contains(single, "attempts"));
    }

    void testStallIsRetryableError()
    {
        TestHttpServer server;
        server.on("GET", "/stall", [&](const TestHttpRequest&, HTTPServerResponse& response) {
            response.setContentLength(1000);
            response.send() << "0123456789" << std::flush;
            server.sleepUnlessStopping(8s);
        });
        CurlHttpClient client;
        HttpClientRequest request;
        request.url = server.url("/stall");
        request.stallTime = 1s;
        // libcurl averages speed over the last seconds: ask for more than 10 bytes in them.
        request.stallBytesPerSecond = 1000;

        const auto started = Clock::now();
        bool retryable = false;
        const std::string message = errorOf([&] { client.perform(request); }, retryable);

        CPPUNIT_ASSERT_MESSAGE(message, retryable);
        CPPUNIT_ASSERT(Clock::now() - started < 5s);
    }

    void testStreamNotRetriedAfterBytesReachedSink()
    {
        TestHttpServer server;
        server.on("GET", "/stall", [&](const TestHttpRequest&, HTTPServerResponse& response) {
            response.setContentLength(1000);
            response.send() << "0123456789" << std::flush;
            server.sleepUnlessStopping(8s);
        });
        CurlHttpClient client;
        HttpClientRequest request;
        request.url = server.url("/stall");
        request.stallTime = 1s;
        // libcurl averages speed over the last seconds: ask for more than 10 bytes in them.
        request.stallBytesPerSecond = 1000;
        request.maxAttempts = 3;
        request.retryBaseDelay = 1ms;
        std::string received;

        bool retryable = false;
        errorOf(
            [&] {
                client.stream(request, [&](long, const char* data, std::size_t size) {
                    received.append(data, size);
                    return true;
                });
            },
            retryable);

        CPPUNIT_ASSERT(retryable);
        CPPUNIT_ASSERT_EQUAL(std::string("0123456789"), received);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), server.requests().size());
    }

    void testResponseHeadersSeenBeforeTheBody()
    {
        TestHttpServer server;
        server.on("GET", "/from", [](const TestHttpRequest&, HTTPServerResponse& response) {
            redirect(response, HTTPResponse::HTTP_TEMPORARY_REDIRECT, "/cut");
        });
        std::atomic<int> calls{0};
        server.on("GET", "/cut", [&](const TestHttpRequest&, HTTPServerResponse& response) {
            if (++calls == 1) {
                response.setStatusAndReason(HTTPResponse::HTTP_SERVICE_UNAVAILABLE);
                response.setContentLength(4);
                response.send() << "busy";
                return;
            }
            response.set("ETag", "\"v1\"");
            response.setContentLength(1000);
            response.setKeepAlive(false);
            response.send() << "0123456789" << std::flush; // then the connection is cut
        });
        CurlHttpClient client;
        HttpClientRequest request;
        request.url = server.url("/from");
        request.maxAttempts = 2;
        request.retryBaseDelay = 1ms;
        std::vector<std::string> seen;
        request.onResponseHeaders = [&](long status, const std::vector<std::pair<std::string, std::string>>& headers) {
            const auto etag = std::find_if(headers.begin(), headers.end(), [](const auto& h) { return h.first == "etag"; });
            seen.push_back(std::to_string(status) + " " + (etag == headers.end() ? "-" : etag->second));
            return true;
        };
        std::string received;
        bool retryable = false;
        errorOf(
            [&] {
                client.stream(request, [&](long, const char* data, std::size_t size) {
                    CPPUNIT_ASSERT_EQUAL(std::size_t(1), seen.size()); // headers came first
                    received.append(data, size);
                    return true;
                });
            },
            retryable);
        // Not for the followed redirect nor for the 503 that was retried: only the final answer,
        // and its ETag is known although its body was cut off.
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), seen.size());
        CPPUNIT_ASSERT_EQUAL(std::string("200 \"v1\""), seen[0]);
        CPPUNIT_ASSERT_EQUAL(std::string("0123456789"), received);
        CPPUNIT_ASSERT(retryable);
    }

    void testResponseHeadersCanRefuseTheBody()
    {
        TestHttpServer server;
        server.on("GET", "/page", [](const TestHttpRequest&, HTTPServerResponse& response) {
            response.setContentType("text/html; charset=utf-8");
            reply(response, "<html>login</html>");
        });
        CurlHttpClient client;
        HttpClientRequest request;
        request.url = server.url("/page");
        request.maxAttempts = 3;
        request.onResponseHeaders = [](long, const std::vector<std::pair<std::string, std::string>>& headers) {
            return std::none_of(headers.begin(), headers.end(), [](const auto& h) {
                return h.first == "content-type" && h.second.rfind("text/html", 0) == 0;
            });
        };
        bool delivered = false;
        bool retryable = true;
        const std::string message = errorOf(
            [&] {
                client.stream(request, [&](long, const char*, std::size_t) {
                    delivered = true;
                    return true;
                });
            },
            retryable);
        CPPUNIT_ASSERT_MESSAGE(message, message.find("aborted by receiver") != std::string::npos);
        CPPUNIT_ASSERT(!retryable);
        CPPUNIT_ASSERT(!delivered);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), server.requests().size());
    }

    void testTotalTimeout()
    {
        TestHttpServer server;
        server.on("GET", "/slow", [&](const TestHttpRequest&, HTTPServerResponse& response) {
            server.sleepUnlessStopping(5s);
            reply(response, "late");
        });
        CurlHttpClient client;
        HttpClientRequest request;
        request.url = server.url("/slow");
        request.totalTimeout = 300ms;

        const auto started = Clock::now();
        bool retryable = false;
        errorOf([&] { client.perform(request); }, retryable);

        CPPUNIT_ASSERT(retryable);
        CPPUNIT_ASSERT(Clock::now() - started < 2s);
    }

    void testHeaderInjectionRefused()
    {
        TestHttpServer server;
        CurlHttpClient client;
        HttpClientRequest request;
        request.url = server.url("/x");
        request.headers = {{"X-Ok", "a\r\nX-Injected: b"}};

        CPPUNIT_ASSERT_THROW(client.perform(request), HttpClientError);
        CPPUNIT_ASSERT(server.requests().empty());
    }

    void testConcurrentRequests()
    {
        TestHttpServer server;
        server.on("GET", "/who", [](const TestHttpRequest& request, HTTPServerResponse& response) {
            reply(response, request.query);
        });
        CurlHttpClient client;
        std::atomic<int> wrong{0};
        std::vector<std::thread> threads;
        for (int t = 0; t < 8; ++t) {
            threads.emplace_back([&, t] {
                for (int i = 0; i < 25; ++i) {
                    HttpClientRequest request;
                    const std::string id = std::to_string(t) + "-" + std::to_string(i);
                    request.url = server.url("/who?" + id);
                    try {
                        if (client.perform(request).body != id)
                            ++wrong;
                    } catch (...) {
                        ++wrong;
                    }
                }
            });
        }
        for (auto& thread : threads)
            thread.join();

        CPPUNIT_ASSERT_EQUAL(0, wrong.load());
        CPPUNIT_ASSERT_EQUAL(std::size_t(200), server.requests().size());
    }

    void testRedactUrl()
    {
        const std::string redacted = CurlHttpClient::redactUrl(
            "https://user:pw@Host.example/p/a?token=t1&access_token=t2&X-Amz-Signature=s&page=2#f");
        CPPUNIT_ASSERT_MESSAGE(redacted, !contains(redacted, "t1"));
        CPPUNIT_ASSERT_MESSAGE(redacted, !contains(redacted, "t2"));
        CPPUNIT_ASSERT_MESSAGE(redacted, !contains(redacted, "=s"));
        CPPUNIT_ASSERT_MESSAGE(redacted, !contains(redacted, "pw"));
        CPPUNIT_ASSERT_MESSAGE(redacted, contains(redacted, "page=2"));
        CPPUNIT_ASSERT_MESSAGE(redacted, contains(redacted, "token=***"));
        CPPUNIT_ASSERT_MESSAGE(redacted, contains(redacted, "/p/a"));
        CPPUNIT_ASSERT_EQUAL(std::string("http://h/x"), CurlHttpClient::redactUrl("http://h/x"));
    }

    void testRetryAfterAndBackoff()
    {
        CPPUNIT_ASSERT(HttpClientRetry::parseRetryAfter("120") == 120s);
        CPPUNIT_ASSERT(!HttpClientRetry::parseRetryAfter("soon"));
        CPPUNIT_ASSERT(!HttpClientRetry::parseRetryAfter("-5"));
        const Poco::Timestamp now;
        const std::string inNinetySeconds = Poco::DateTimeFormatter::format(
            now + Poco::Timespan(90, 0), Poco::DateTimeFormat::HTTP_FORMAT);
        const auto dated = HttpClientRetry::parseRetryAfter(inNinetySeconds, now);
        CPPUNIT_ASSERT(dated && *dated > 88s && *dated <= 90s);
        const std::string past = Poco::DateTimeFormatter::format(now - Poco::Timespan(90, 0),
                                                                 Poco::DateTimeFormat::HTTP_FORMAT);
        CPPUNIT_ASSERT(HttpClientRetry::parseRetryAfter(past, now) == 0ms);

        CPPUNIT_ASSERT(HttpClientRetry::delay(1, 10ms, 30s, std::string("3600")) == 30s);
        CPPUNIT_ASSERT(HttpClientRetry::delay(1, 10ms, 30s, std::string("2")) == 2s);
        for (int i = 0; i < 200; ++i) {
            CPPUNIT_ASSERT(HttpClientRetry::backoff(1, 100ms, 10s) <= 100ms);
            CPPUNIT_ASSERT(HttpClientRetry::backoff(3, 100ms, 10s) <= 400ms);
            CPPUNIT_ASSERT(HttpClientRetry::backoff(30, 100ms, 250ms) <= 250ms);
            CPPUNIT_ASSERT(HttpClientRetry::delay(2, 100ms, 10s, std::string("bogus")) <= 200ms);
        }
        bool varied = false;
        const auto first = HttpClientRetry::backoff(5, 100ms, 10s);
        for (int i = 0; i < 50 && !varied; ++i)
            varied = HttpClientRetry::backoff(5, 100ms, 10s) != first;
        CPPUNIT_ASSERT(varied); // full jitter, not a fixed schedule

        for (long status : {408L, 429L, 500L, 502L, 503L, 504L})
            CPPUNIT_ASSERT(HttpClientRetry::retryableStatus(status));
        for (long status : {200L, 400L, 401L, 403L, 404L, 416L, 501L})
            CPPUNIT_ASSERT(!HttpClientRetry::retryableStatus(status));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(CurlHttpClientTest);
