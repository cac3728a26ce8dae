#include "KeepAliveCheck.h"

#include <cppunit/TestAssert.h>

namespace comfygate::test {

KeepAliveCheck::KeepAliveCheck(unsigned port, std::string follower, int followerStatus, std::string followerBody)
    : _port(port), _follower(std::move(follower)), _followerStatus(followerStatus),
      _followerBody(std::move(followerBody))
{
}

std::string KeepAliveCheck::request(const std::string& method, const std::string& path, const std::string& headers,
                                    const std::string& body)
{
    return method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + headers +
           "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

void KeepAliveCheck::assertFollower(const std::string& what, const RawHttpResponse& answer) const
{
    CPPUNIT_ASSERT_EQUAL_MESSAGE(what + ": the follower's answer " + answer.body, _followerStatus, answer.status);
    CPPUNIT_ASSERT_MESSAGE(what + ": the follower got " + answer.body,
                           answer.body.find(_followerBody) != std::string::npos);
}

void KeepAliveCheck::assertInStep(const std::string& what, const std::string& refused, int refusedStatus) const
{
    try {
        RawHttpConnection oneByOne(_port);
        oneByOne.write(refused);
        const RawHttpResponse first = oneByOne.read();
        CPPUNIT_ASSERT_EQUAL_MESSAGE(what + " (one by one): " + first.body, refusedStatus, first.status);
        CPPUNIT_ASSERT_MESSAGE(what + " (one by one) closed a connection it could keep", !first.closes());
        oneByOne.write(_follower);
        assertFollower(what + " (one by one)", oneByOne.read());
        oneByOne.expectSilence();

        RawHttpConnection pipelined(_port);
        pipelined.write(refused + _follower);
        const RawHttpResponse refusal = pipelined.read();
        CPPUNIT_ASSERT_EQUAL_MESSAGE(what + " (pipelined): " + refusal.body, refusedStatus, refusal.status);
        assertFollower(what + " (pipelined)", pipelined.read());
        pipelined.expectSilence();
    } catch (const std::runtime_error& e) {
        CPPUNIT_FAIL(what + ": " + e.what());
    }
}

} // namespace comfygate::test
