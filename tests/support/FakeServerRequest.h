#pragma once

#include <Poco/AutoPtr.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/SocketAddress.h>

#include <sstream>
#include <string>

namespace comfygate::test {

/// An in-memory Poco::Net::HTTPServerRequest for unit tests of code that takes a server
/// request (HttpExchange, ClientAddressResolver) without a socket:
///
///     FakeServerRequest request("POST", "/items?x=1", R"({"a":1})");
///     request.set("X-Forwarded-For", "203.0.113.7");
///
/// The body is served by stream(); the Content-Length is set from it unless the body is
/// empty (call setChunkedTransferEncoding(true) to pretend a chunked upload).
class FakeServerRequest : public Poco::Net::HTTPServerRequest
{
public:
    FakeServerRequest(const std::string& method, const std::string& uri,
                      const std::string& body = {}, const std::string& peer = "127.0.0.1:40000");

    std::istream& stream() override { return _body; }
    const Poco::Net::SocketAddress& clientAddress() const override { return _client; }
    const Poco::Net::SocketAddress& serverAddress() const override { return _server; }
    const Poco::Net::HTTPServerParams& serverParams() const override { return *_params; }
    /// Throws Poco::IllegalStateException unless setResponse() was called.
    Poco::Net::HTTPServerResponse& response() const override;
    bool secure() const override { return _secure; }

    void setResponse(Poco::Net::HTTPServerResponse& response) { _response = &response; }
    void setSecure(bool secure) { _secure = secure; }

private:
    std::istringstream _body;
    Poco::Net::SocketAddress _client;
    Poco::Net::SocketAddress _server;
    Poco::AutoPtr<Poco::Net::HTTPServerParams> _params;
    Poco::Net::HTTPServerResponse* _response = nullptr;
    bool _secure = false;
};

} // namespace comfygate::test
