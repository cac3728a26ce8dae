#pragma once

#include <Poco/Net/HTTPServerResponse.h>

#include <sstream>
#include <string>

namespace comfygate::test {

/// An in-memory Poco::Net::HTTPServerResponse: status and headers are the message itself,
/// what send() streams ends up in body(). send() may be called once, as on a real socket.
class FakeServerResponse : public Poco::Net::HTTPServerResponse
{
public:
    FakeServerResponse() = default;

    void sendContinue() override {}
    /// Throws Poco::IllegalStateException when the response was already sent.
    std::ostream& send() override;
    void sendFile(const std::string& path, const std::string& mediaType) override;
    void sendBuffer(const void* buffer, std::size_t length) override;
    void redirect(const std::string& uri, HTTPStatus status = HTTP_FOUND) override;
    void requireAuthentication(const std::string& realm) override;
    bool sent() const override { return _sent; }

    /// Everything written after send().
    std::string body() const { return _body.str(); }

private:
    void markSent();

    std::ostringstream _body;
    bool _sent = false;
};

} // namespace comfygate::test
