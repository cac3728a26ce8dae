#include "ClientBody.h"

#include "comfygate/HttpExchange.h"

#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/StreamSocket.h>

namespace comfygate::comfyproxy {
namespace {

Poco::Net::StreamSocket* blockingSocketOf(HttpExchange& exchange)
{
    auto* request = dynamic_cast<Poco::Net::HTTPServerRequestImpl*>(&exchange.request());
    if (!request)
        return nullptr;
    Poco::Net::StreamSocket& socket = request->socket();
    return socket.getBlocking() ? &socket : nullptr;
}

} // namespace

ClientBody::ClientBody(HttpExchange& exchange, std::ostream& stream)
    : _stream(stream), _socket(blockingSocketOf(exchange))
{
}

bool ClientBody::write(const char* data, std::size_t length)
{
    if (!_socket || length < directFrom) {
        _stream.write(data, static_cast<std::streamsize>(length));
        return static_cast<bool>(_stream);
    }
    _stream.flush(); // the head and anything buffered go first
    if (!_stream)
        return false;
    try {
        _socket->sendBytes(data, static_cast<int>(length));
        return true;
    } catch (const Poco::Exception&) {
        return false;
    }
}

void ClientBody::send(HttpExchange& exchange, int status, const std::string& contentType, const std::string& body)
{
    auto& response = exchange.response();
    response.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
    response.setContentType(contentType);
    if (!response.has("Cache-Control"))
        response.set("Cache-Control", "no-store");
    response.setContentLength64(static_cast<Poco::Int64>(body.size()));
    std::ostream& stream = response.send();
    if (exchange.request().getMethod() != "HEAD")
        ClientBody(exchange, stream).write(body.data(), body.size());
}

} // namespace comfygate::comfyproxy
