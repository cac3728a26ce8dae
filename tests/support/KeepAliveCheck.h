#pragma once

#include "RawHttpConnection.h"

#include <string>

namespace comfygate::test {

/// Checks that an early answer leaves a keep-alive connection in step: `refused` (a whole
/// request with a body the server answers `refusedStatus` without needing it) and then
/// `follower` go over one connection, first one after the other and then pipelined in one
/// write; each must get its own strictly framed answer, and nothing more may arrive.
/// `followerBody` must occur in the follower's answer, whose status must be `followerStatus`.
class KeepAliveCheck
{
public:
    KeepAliveCheck(unsigned port, std::string follower, int followerStatus, std::string followerBody);

    /// Runs both orders; CppUnit assertion failures name `what`.
    void assertInStep(const std::string& what, const std::string& refused, int refusedStatus) const;

    /// "METHOD path HTTP/1.1" with Host, `headers` (each "Name: value\r\n") and a Content-Length body.
    static std::string request(const std::string& method, const std::string& path, const std::string& headers,
                               const std::string& body);

private:
    void assertFollower(const std::string& what, const RawHttpResponse& answer) const;

    unsigned _port;
    std::string _follower;
    int _followerStatus;
    std::string _followerBody;
};

} // namespace comfygate::test
