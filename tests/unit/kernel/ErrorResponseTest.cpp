#include "ErrorResponse.h"
#include "FakeServerResponse.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <cppunit/extensions/HelperMacros.h>

using comfygate::ErrorResponse;
using comfygate::ErrorStyle;
using comfygate::test::FakeServerResponse;

namespace {

Poco::JSON::Object::Ptr parse(const std::string& text)
{
    return Poco::JSON::Parser().parse(text).extract<Poco::JSON::Object::Ptr>();
}

} // namespace

class ErrorResponseTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(ErrorResponseTest);
    CPPUNIT_TEST(testPlainShape);
    CPPUNIT_TEST(testPlainWithCode);
    CPPUNIT_TEST(testSwarmShape);
    CPPUNIT_TEST(testCloudShape);
    CPPUNIT_TEST(testExtraJsonMerged);
    CPPUNIT_TEST(testExtraCannotReplaceMessage);
    CPPUNIT_TEST(testBadExtraIgnored);
    CPPUNIT_TEST(testMessageEscaped);
    CPPUNIT_TEST(testDefaultCodes);
    CPPUNIT_TEST(testSend);
    CPPUNIT_TEST_SUITE_END();

public:
    void testPlainShape()
    {
        const auto body = parse(ErrorResponse::body(ErrorStyle::Plain, 404, "no such job", "", ""));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), body->size());
        CPPUNIT_ASSERT_EQUAL(std::string("no such job"), body->getValue<std::string>("error"));
    }

    void testPlainWithCode()
    {
        const auto body =
            parse(ErrorResponse::body(ErrorStyle::Plain, 403, "locked", "locked_out", ""));
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), body->size());
        CPPUNIT_ASSERT_EQUAL(std::string("locked"), body->getValue<std::string>("error"));
        CPPUNIT_ASSERT_EQUAL(std::string("locked_out"), body->getValue<std::string>("code"));
    }

    void testSwarmShape()
    {
        auto body = parse(ErrorResponse::body(ErrorStyle::SwarmUI, 401, "Invalid session",
                                              "invalid_session_id", ""));
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), body->size());
        CPPUNIT_ASSERT_EQUAL(std::string("Invalid session"), body->getValue<std::string>("error"));
        CPPUNIT_ASSERT_EQUAL(std::string("invalid_session_id"),
                             body->getValue<std::string>("error_id"));
        body = parse(ErrorResponse::body(ErrorStyle::SwarmUI, 404, "missing", "", ""));
        CPPUNIT_ASSERT_EQUAL(std::string("not_found"), body->getValue<std::string>("error_id"));
    }

    void testCloudShape()
    {
        auto body = parse(ErrorResponse::body(ErrorStyle::ComfyCloud, 404, "Asset not found",
                                              "ASSET_NOT_FOUND", ""));
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), body->size());
        CPPUNIT_ASSERT_EQUAL(std::string("ASSET_NOT_FOUND"), body->getValue<std::string>("code"));
        CPPUNIT_ASSERT_EQUAL(std::string("Asset not found"),
                             body->getValue<std::string>("message"));
        CPPUNIT_ASSERT(!body->has("error"));
        body = parse(ErrorResponse::body(ErrorStyle::ComfyCloud, 401, "who?", "", ""));
        CPPUNIT_ASSERT_EQUAL(std::string("unauthorized"), body->getValue<std::string>("code"));
    }

    void testExtraJsonMerged()
    {
        const auto body =
            parse(ErrorResponse::body(ErrorStyle::Plain, 403, "Too many failed attempts", "",
                                      R"({"failed_attempts": 3, "remaining_seconds": 60})"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), body->size());
        CPPUNIT_ASSERT_EQUAL(3, body->getValue<int>("failed_attempts"));
        CPPUNIT_ASSERT_EQUAL(60, body->getValue<int>("remaining_seconds"));
        CPPUNIT_ASSERT_EQUAL(std::string("Too many failed attempts"),
                             body->getValue<std::string>("error"));
        const auto cloud = parse(ErrorResponse::body(ErrorStyle::ComfyCloud, 429, "slow down", "",
                                                     R"({"retry": true})"));
        CPPUNIT_ASSERT(cloud->getValue<bool>("retry"));
        CPPUNIT_ASSERT_EQUAL(std::string("too_many_requests"),
                             cloud->getValue<std::string>("code"));
    }

    void testExtraCannotReplaceMessage()
    {
        const auto body = parse(ErrorResponse::body(ErrorStyle::SwarmUI, 400, "real", "real_id",
                                                    R"({"error": "fake", "error_id": "fake_id"})"));
        CPPUNIT_ASSERT_EQUAL(std::string("real"), body->getValue<std::string>("error"));
        CPPUNIT_ASSERT_EQUAL(std::string("real_id"), body->getValue<std::string>("error_id"));
    }

    void testBadExtraIgnored()
    {
        for (const std::string extra : {"not json", "[1,2]", "\"text\""}) {
            const auto body = parse(ErrorResponse::body(ErrorStyle::Plain, 400, "bad", "", extra));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(extra, std::size_t(1), body->size());
            CPPUNIT_ASSERT_EQUAL(std::string("bad"), body->getValue<std::string>("error"));
        }
    }

    void testMessageEscaped()
    {
        const std::string message = "quote \" backslash \\ newline \n <script>";
        const auto body = parse(ErrorResponse::body(ErrorStyle::Plain, 400, message, "", ""));
        CPPUNIT_ASSERT_EQUAL(message, body->getValue<std::string>("error"));
    }

    void testDefaultCodes()
    {
        const std::vector<std::pair<int, std::string>> codes{
            {400, "bad_request"},        {401, "unauthorized"},
            {403, "forbidden"},          {404, "not_found"},
            {405, "method_not_allowed"}, {409, "conflict"},
            {413, "payload_too_large"},  {415, "unsupported_media_type"},
            {429, "too_many_requests"},  {502, "bad_gateway"},
            {503, "unavailable"},        {500, "internal_error"},
            {504, "internal_error"},     {418, "error"}};
        for (const auto& [status, code] : codes)
            CPPUNIT_ASSERT_EQUAL_MESSAGE(std::to_string(status), code,
                                         ErrorResponse::defaultCode(status));
    }

    void testSend()
    {
        FakeServerResponse response;
        ErrorResponse::send(response, ErrorStyle::SwarmUI, 409, "taken", "name_taken",
                            R"({"name": "x"})");
        CPPUNIT_ASSERT(response.sent());
        CPPUNIT_ASSERT_EQUAL(409, static_cast<int>(response.getStatus()));
        CPPUNIT_ASSERT_EQUAL(std::string("application/json"), response.getContentType());
        CPPUNIT_ASSERT_EQUAL(std::string("no-store"), response.get("Cache-Control"));
        CPPUNIT_ASSERT_EQUAL(static_cast<Poco::Int64>(response.body().size()),
                             response.getContentLength64());
        const auto body = parse(response.body());
        CPPUNIT_ASSERT_EQUAL(std::string("taken"), body->getValue<std::string>("error"));
        CPPUNIT_ASSERT_EQUAL(std::string("name_taken"), body->getValue<std::string>("error_id"));
        CPPUNIT_ASSERT_EQUAL(std::string("x"), body->getValue<std::string>("name"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ErrorResponseTest);
