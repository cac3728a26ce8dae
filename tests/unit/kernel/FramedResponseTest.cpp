// FramedResponse over a real loopback socket, read back by the strict HTTP/1.1 reader: whatever
// a handler sets, the status line has its reason phrase and bodiless answers carry no framing.
#include "FramedResponse.h"
#include "RawHttpConnection.h"

#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerSession.h>
#include <Poco/Net/ServerSocket.h>

#include <cppunit/extensions/HelperMacros.h>

using comfygate::FramedRequest;
using comfygate::FramedResponse;
using comfygate::test::RawHttpConnection;
using comfygate::test::RawHttpResponse;
using Poco::Net::HTTPResponse;

namespace {

/// A response of `status` that a careless handler sends chunked with a body, as the client reads it.
RawHttpResponse sentCarelessly(HTTPResponse::HTTPStatus status, bool withLength)
{
    Poco::Net::ServerSocket listener(Poco::Net::SocketAddress("127.0.0.1", 0));
    RawHttpConnection client(listener.address().port());
    Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;
    {
        Poco::Net::HTTPServerSession session(listener.acceptConnection(), params);
        FramedResponse response(session, FramedRequest::DrainLimits{});
        response.setVersion(HTTPResponse::HTTP_1_1);
        response.setStatus(status);
        if (withLength)
            response.setContentLength(4);
        else
            response.setChunkedTransferEncoding(true);
        response.send() << "body";
    }
    return client.read();
}

} // namespace

class FramedResponseTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(FramedResponseTest);
    CPPUNIT_TEST(noContentHasNoFraming);
    CPPUNIT_TEST(notModifiedHasNoTransferEncoding);
    CPPUNIT_TEST(everyStatusGetsItsReason);
    CPPUNIT_TEST_SUITE_END();

public:
    void noContentHasNoFraming()
    {
        for (const bool withLength : {false, true}) {
            const RawHttpResponse answer = sentCarelessly(HTTPResponse::HTTP_NO_CONTENT, withLength);
            CPPUNIT_ASSERT_EQUAL(204, answer.status);
            CPPUNIT_ASSERT_EQUAL(0, answer.count("Content-Length") + answer.count("Transfer-Encoding"));
        }
    }

    void notModifiedHasNoTransferEncoding()
    {
        const RawHttpResponse answer = sentCarelessly(HTTPResponse::HTTP_NOT_MODIFIED, false);
        CPPUNIT_ASSERT_EQUAL(304, answer.status);
        CPPUNIT_ASSERT_EQUAL(std::string("Not Modified"), answer.reason);
        CPPUNIT_ASSERT_EQUAL(0, answer.count("Transfer-Encoding"));
    }

    void everyStatusGetsItsReason()
    {
        CPPUNIT_ASSERT_EQUAL(std::string("Bad Gateway"), sentCarelessly(HTTPResponse::HTTP_BAD_GATEWAY, true).reason);
        CPPUNIT_ASSERT_EQUAL(std::string("Too Many Requests"),
                             sentCarelessly(HTTPResponse::HTTP_TOO_MANY_REQUESTS, false).reason);
        CPPUNIT_ASSERT_EQUAL(std::string(""), sentCarelessly(static_cast<HTTPResponse::HTTPStatus>(599), true).reason);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(FramedResponseTest);
