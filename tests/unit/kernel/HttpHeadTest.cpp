// HttpHead renders the bytes Poco's own write() gives, and put() only counts them into the
// counting stream Poco sizes a body stream with.
#include "comfygate/HttpHead.h"

#include <Poco/CountingStream.h>

#include <cppunit/extensions/HelperMacros.h>

#include <sstream>

using comfygate::HttpHead;

namespace {

template <typename Message>
std::string pocoHead(const Message& message)
{
    std::ostringstream out;
    message.Message::write(out);
    return out.str();
}

} // namespace

class HttpHeadTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(HttpHeadTest);
    CPPUNIT_TEST(testResponseAsPocoWritesIt);
    CPPUNIT_TEST(testRequestAsPocoWritesIt);
    CPPUNIT_TEST(testPutCountsIntoACountingStream);
    CPPUNIT_TEST_SUITE_END();

public:
    void testResponseAsPocoWritesIt()
    {
        Poco::Net::HTTPResponse response;
        CPPUNIT_ASSERT_EQUAL(pocoHead(response), HttpHead::of(response));
        response.setStatusAndReason(Poco::Net::HTTPResponse::HTTP_NOT_FOUND);
        response.setContentType("application/json");
        response.setContentLength(17);
        response.set("X-Request-Id", "0123456789abcdef");
        response.add("Set-Cookie", "a=1");
        response.add("Set-Cookie", "b=2");
        response.setKeepAlive(true);
        CPPUNIT_ASSERT_EQUAL(pocoHead(response), HttpHead::of(response));
        response.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(599), "");
        response.setVersion(Poco::Net::HTTPResponse::HTTP_1_0);
        CPPUNIT_ASSERT_EQUAL(pocoHead(response), HttpHead::of(response));
    }

    void testRequestAsPocoWritesIt()
    {
        Poco::Net::HTTPRequest request("POST", "/prompt?x=%20y", Poco::Net::HTTPRequest::HTTP_1_1);
        request.setHost("127.0.0.1", 8188);
        request.setContentType("application/json");
        request.setContentLength(2);
        request.set("comfy-user", "u1");
        CPPUNIT_ASSERT_EQUAL(pocoHead(request), HttpHead::of(request));
    }

    void testPutCountsIntoACountingStream()
    {
        const std::string head = "HTTP/1.1 204 No Content\r\n\r\n";
        Poco::CountingOutputStream counting;
        HttpHead::put(counting, head);
        CPPUNIT_ASSERT_EQUAL(static_cast<std::streamsize>(head.size()), counting.chars());
        std::ostringstream out;
        HttpHead::put(out, head);
        CPPUNIT_ASSERT_EQUAL(head, out.str());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(HttpHeadTest);
