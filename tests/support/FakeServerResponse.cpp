#include "FakeServerResponse.h"

#include <Poco/Exception.h>
#include <Poco/FileStream.h>
#include <Poco/StreamCopier.h>

namespace comfygate::test {

void FakeServerResponse::markSent()
{
    if (_sent)
        throw Poco::IllegalStateException("the response was already sent");
    _sent = true;
}

std::ostream& FakeServerResponse::send()
{
    markSent();
    return _body;
}

void FakeServerResponse::sendFile(const std::string& path, const std::string& mediaType)
{
    markSent();
    setContentType(mediaType);
    Poco::FileInputStream in(path);
    Poco::StreamCopier::copyStream(in, _body);
}

void FakeServerResponse::sendBuffer(const void* buffer, std::size_t length)
{
    markSent();
    setContentLength(static_cast<std::streamsize>(length));
    _body.write(static_cast<const char*>(buffer), static_cast<std::streamsize>(length));
}

void FakeServerResponse::redirect(const std::string& uri, HTTPStatus status)
{
    markSent();
    setStatusAndReason(status);
    set("Location", uri);
    setContentLength(0);
}

void FakeServerResponse::requireAuthentication(const std::string& realm)
{
    markSent();
    setStatusAndReason(HTTP_UNAUTHORIZED);
    set("WWW-Authenticate", "Basic realm=\"" + realm + "\"");
    setContentLength(0);
}

} // namespace comfygate::test
