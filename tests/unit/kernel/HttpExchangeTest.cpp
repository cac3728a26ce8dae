#include "FakeServerRequest.h"
#include "FakeServerResponse.h"
#include "comfygate/HttpError.h"
#include "comfygate/HttpExchange.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <cppunit/extensions/HelperMacros.h>

#include <memory>

using comfygate::ErrorStyle;
using comfygate::HttpError;
using comfygate::HttpExchange;
using comfygate::Principal;
using comfygate::RouteSpec;
using comfygate::test::FakeServerRequest;
using comfygate::test::FakeServerResponse;

namespace {

/// One request through an HttpExchange, with everything it needs kept alive.
struct Call
{
    explicit Call(const std::string& method, const std::string& uri, const std::string& body = {},
                  std::size_t bodyLimit = 1024, ErrorStyle style = ErrorStyle::Plain)
        : request(method, uri, body)
    {
        route.method = method == "HEAD" ? "GET" : method;
        route.pattern = "/items/{id}";
        route.bodyLimit = bodyLimit;
        route.errorStyle = style;
        request.setResponse(response);
    }

    HttpExchange& exchange(std::map<std::string, std::string> params = {{"id", "a/b"}})
    {
        Principal principal;
        principal.authenticated = true;
        principal.username = "ann";
        _exchange =
            std::make_unique<HttpExchange>(request, response, route, std::move(params), principal,
                                           Poco::Net::IPAddress("203.0.113.7"), "req-9", true);
        return *_exchange;
    }

    FakeServerRequest request;
    FakeServerResponse response;
    RouteSpec route;

private:
    std::unique_ptr<HttpExchange> _exchange;
};

int statusOf(const std::function<void()>& call)
{
    try {
        call();
    } catch (const HttpError& e) {
        return e.status();
    }
    return 0;
}

Poco::JSON::Object::Ptr parse(const std::string& text)
{
    return Poco::JSON::Parser().parse(text).extract<Poco::JSON::Object::Ptr>();
}

} // namespace

class HttpExchangeTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(HttpExchangeTest);
    CPPUNIT_TEST(testAccessors);
    CPPUNIT_TEST(testParams);
    CPPUNIT_TEST(testQuery);
    CPPUNIT_TEST(testBadQueryIs400);
    CPPUNIT_TEST(testBodyReadOnce);
    CPPUNIT_TEST(testBodyAtLimit);
    CPPUNIT_TEST(testDeclaredBodyOverLimitIs413);
    CPPUNIT_TEST(testChunkedBodyOverLimitIs413);
    CPPUNIT_TEST(testJsonBody);
    CPPUNIT_TEST(testJsonBodyErrors);
    CPPUNIT_TEST(testFieldsFromForm);
    CPPUNIT_TEST(testFieldsFromJson);
    CPPUNIT_TEST(testSendJson);
    CPPUNIT_TEST(testSendJsonEmptyIsNull);
    CPPUNIT_TEST(testSendTextKeepsCacheControl);
    CPPUNIT_TEST(testHeadSendsNoBody);
    CPPUNIT_TEST(testRedirect);
    CPPUNIT_TEST(testSendErrorUsesRouteStyle);
    CPPUNIT_TEST_SUITE_END();

public:
    void testAccessors()
    {
        Call call("GET", "/items/x");
        HttpExchange& exchange = call.exchange();
        CPPUNIT_ASSERT_EQUAL(std::string("ann"), exchange.principal().username);
        CPPUNIT_ASSERT_EQUAL(std::string("203.0.113.7"), exchange.client().toString());
        CPPUNIT_ASSERT_EQUAL(std::string("req-9"), exchange.requestId());
        CPPUNIT_ASSERT(exchange.secure());
        CPPUNIT_ASSERT(&exchange.route() == &call.route);
        CPPUNIT_ASSERT(&exchange.request() == &call.request);
        CPPUNIT_ASSERT(!exchange.responded());
    }

    void testParams()
    {
        Call call("GET", "/items/a%2Fb");
        HttpExchange& exchange = call.exchange();
        CPPUNIT_ASSERT_EQUAL(std::string("a/b"), exchange.param("id"));
        CPPUNIT_ASSERT_EQUAL(std::string(), exchange.param("missing"));
    }

    void testQuery()
    {
        Call call("GET", "/items/x?a=1&b=two%20words&a=2&plus=x+y&empty=&flag");
        HttpExchange& exchange = call.exchange();
        CPPUNIT_ASSERT_EQUAL(std::string("1"), exchange.query("a").value());
        CPPUNIT_ASSERT_EQUAL(std::string("two words"), exchange.query("b").value());
        CPPUNIT_ASSERT_EQUAL(std::string(""), exchange.query("empty").value());
        CPPUNIT_ASSERT(exchange.query("flag").has_value());
        CPPUNIT_ASSERT(!exchange.query("absent").has_value());
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), exchange.queryParameters().count("a"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(6), exchange.queryParameters().size());
    }

    void testBadQueryIs400()
    {
        Call call("GET", "/items/x?a=%zz");
        CPPUNIT_ASSERT_EQUAL(400, statusOf([&] { call.exchange(); }));
    }

    void testBodyReadOnce()
    {
        Call call("POST", "/items/x", "hello body");
        HttpExchange& exchange = call.exchange();
        CPPUNIT_ASSERT_EQUAL(std::string("hello body"), exchange.body());
        CPPUNIT_ASSERT_EQUAL(std::string("hello body"), exchange.body());
        CPPUNIT_ASSERT(&exchange.body() == &exchange.body());
    }

    void testBodyAtLimit()
    {
        Call call("POST", "/items/x", std::string(1024, 'x'), 1024);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1024), call.exchange().body().size());
    }

    void testDeclaredBodyOverLimitIs413()
    {
        Call call("POST", "/items/x", std::string(1025, 'x'), 1024);
        HttpExchange& exchange = call.exchange();
        CPPUNIT_ASSERT_EQUAL(413, statusOf([&] { exchange.body(); }));
        // Refused from the Content-Length alone: nothing was read.
        CPPUNIT_ASSERT_EQUAL(std::streamoff(0),
                             static_cast<std::streamoff>(call.request.stream().tellg()));
    }

    void testChunkedBodyOverLimitIs413()
    {
        Call call("POST", "/items/x", std::string(20000, 'x'), 10000);
        call.request.setContentLength(Poco::Net::HTTPMessage::UNKNOWN_CONTENT_LENGTH);
        call.request.setChunkedTransferEncoding(true);
        CPPUNIT_ASSERT(!call.request.hasContentLength());
        HttpExchange& exchange = call.exchange();
        CPPUNIT_ASSERT_EQUAL(413, statusOf([&] { exchange.body(); }));
        Call small("POST", "/items/x", std::string(9000, 'y'), 10000);
        small.request.setContentLength(Poco::Net::HTTPMessage::UNKNOWN_CONTENT_LENGTH);
        small.request.setChunkedTransferEncoding(true);
        CPPUNIT_ASSERT_EQUAL(std::size_t(9000), small.exchange().body().size());
    }

    void testJsonBody()
    {
        Call call("POST", "/items/x", R"({"name": "ann", "n": 3})");
        const auto object = call.exchange().jsonBody();
        CPPUNIT_ASSERT_EQUAL(std::string("ann"), object->getValue<std::string>("name"));
        CPPUNIT_ASSERT_EQUAL(3, object->getValue<int>("n"));
    }

    void testJsonBodyErrors()
    {
        for (const std::string body :
             {"", "   ", "[1, 2]", "\"text\"", "42", "{broken", "{\"a\": }"}) {
            Call call("POST", "/items/x", body);
            HttpExchange& exchange = call.exchange();
            CPPUNIT_ASSERT_EQUAL_MESSAGE("body: " + body, 400,
                                         statusOf([&] { exchange.jsonBody(); }));
        }
    }

    void testFieldsFromForm()
    {
        Call call("POST", "/login", "username=ann&password=p%40ss+word&remember=");
        call.request.setContentType("application/x-www-form-urlencoded; charset=UTF-8");
        const auto fields = call.exchange().fields();
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), fields.size());
        CPPUNIT_ASSERT_EQUAL(std::string("ann"), fields.at("username"));
        CPPUNIT_ASSERT_EQUAL(std::string("p@ss word"), fields.at("password"));
        CPPUNIT_ASSERT_EQUAL(std::string(""), fields.at("remember"));
    }

    void testFieldsFromJson()
    {
        Call call("POST", "/login",
                  R"({"username": "ann", "n": 5, "ok": true, "nested": {"a": 1}, "list": [1]})");
        call.request.setContentType("application/json");
        const auto fields = call.exchange().fields();
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), fields.size());
        CPPUNIT_ASSERT_EQUAL(std::string("ann"), fields.at("username"));
        CPPUNIT_ASSERT_EQUAL(std::string("5"), fields.at("n"));
        CPPUNIT_ASSERT_EQUAL(std::string("true"), fields.at("ok"));
        Call notJson("POST", "/login", "plain text");
        notJson.request.setContentType("text/plain");
        HttpExchange& exchange = notJson.exchange();
        CPPUNIT_ASSERT_EQUAL(400, statusOf([&] { exchange.fields(); }));
    }

    void testSendJson()
    {
        Call call("GET", "/items/x");
        HttpExchange& exchange = call.exchange();
        Poco::JSON::Object::Ptr value = new Poco::JSON::Object;
        value->set("id", "x");
        value->set("n", 2);
        exchange.sendJson(201, value);
        CPPUNIT_ASSERT(exchange.responded());
        CPPUNIT_ASSERT_EQUAL(201, static_cast<int>(call.response.getStatus()));
        CPPUNIT_ASSERT_EQUAL(std::string("application/json"), call.response.getContentType());
        CPPUNIT_ASSERT_EQUAL(std::string("no-store"), call.response.get("Cache-Control"));
        CPPUNIT_ASSERT_EQUAL(static_cast<Poco::Int64>(call.response.body().size()),
                             call.response.getContentLength64());
        const auto body = parse(call.response.body());
        CPPUNIT_ASSERT_EQUAL(std::string("x"), body->getValue<std::string>("id"));
        CPPUNIT_ASSERT_EQUAL(2, body->getValue<int>("n"));
    }

    void testSendJsonEmptyIsNull()
    {
        Call call("GET", "/items/x");
        call.exchange().sendJson(200, Poco::Dynamic::Var());
        CPPUNIT_ASSERT_EQUAL(std::string("null"), call.response.body());
    }

    void testSendTextKeepsCacheControl()
    {
        Call call("GET", "/items/x");
        call.response.set("Cache-Control", "public, max-age=60");
        call.exchange().sendText(200, "text/plain; charset=utf-8", "hi");
        CPPUNIT_ASSERT_EQUAL(std::string("public, max-age=60"), call.response.get("Cache-Control"));
        CPPUNIT_ASSERT_EQUAL(std::string("text/plain; charset=utf-8"),
                             call.response.getContentType());
        CPPUNIT_ASSERT_EQUAL(std::string("hi"), call.response.body());
    }

    void testHeadSendsNoBody()
    {
        Call call("HEAD", "/items/x");
        call.exchange().sendText(200, "text/plain", "twelve bytes");
        CPPUNIT_ASSERT(call.response.sent());
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(12), call.response.getContentLength64());
        CPPUNIT_ASSERT_EQUAL(std::string(), call.response.body());
    }

    void testRedirect()
    {
        Call call("GET", "/items/x");
        HttpExchange& exchange = call.exchange();
        exchange.redirect("/login?next=%2Fitems");
        CPPUNIT_ASSERT_EQUAL(302, static_cast<int>(call.response.getStatus()));
        CPPUNIT_ASSERT_EQUAL(std::string("/login?next=%2Fitems"), call.response.get("Location"));
        CPPUNIT_ASSERT(exchange.responded());
        Call moved("GET", "/old");
        moved.exchange().redirect("/new", 308);
        CPPUNIT_ASSERT_EQUAL(308, static_cast<int>(moved.response.getStatus()));
    }

    void testSendErrorUsesRouteStyle()
    {
        Call swarm("POST", "/API/X", "", 1024, ErrorStyle::SwarmUI);
        swarm.exchange().sendError(401, "Invalid session", "invalid_session_id");
        CPPUNIT_ASSERT_EQUAL(401, static_cast<int>(swarm.response.getStatus()));
        auto body = parse(swarm.response.body());
        CPPUNIT_ASSERT_EQUAL(std::string("invalid_session_id"),
                             body->getValue<std::string>("error_id"));

        Call cloud("GET", "/api/assets/1", "", 1024, ErrorStyle::ComfyCloud);
        cloud.exchange().sendError(404, "Asset not found", "", R"({"asset": "1"})");
        body = parse(cloud.response.body());
        CPPUNIT_ASSERT_EQUAL(std::string("not_found"), body->getValue<std::string>("code"));
        CPPUNIT_ASSERT_EQUAL(std::string("Asset not found"),
                             body->getValue<std::string>("message"));
        CPPUNIT_ASSERT_EQUAL(std::string("1"), body->getValue<std::string>("asset"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(HttpExchangeTest);
