#include "FakeServerRequest.h"

#include <Poco/Exception.h>

namespace comfygate::test {

FakeServerRequest::FakeServerRequest(const std::string& method, const std::string& uri,
                                     const std::string& body, const std::string& peer)
    : _body(body), _client(peer), _server("127.0.0.1", 8190),
      _params(new Poco::Net::HTTPServerParams)
{
    setMethod(method);
    setURI(uri);
    setVersion(HTTP_1_1);
    if (!body.empty())
        setContentLength64(static_cast<Poco::Int64>(body.size()));
}

Poco::Net::HTTPServerResponse& FakeServerRequest::response() const
{
    if (!_response)
        throw Poco::IllegalStateException("FakeServerRequest has no response");
    return *_response;
}

} // namespace comfygate::test
