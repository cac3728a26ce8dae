#include "comfygate/HttpExchange.h"

#include "ErrorResponse.h"
#include "PacedBody.h"
#include "RequestBody.h"
#include "comfygate/HttpError.h"

#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>
#include <Poco/Net/HTMLForm.h>
#include <Poco/StreamCopier.h>
#include <Poco/String.h>
#include <Poco/URI.h>

#include <sstream>

namespace comfygate {

HttpExchange::HttpExchange(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response,
                           const RouteSpec& route, std::map<std::string, std::string> params,
                           Principal principal, Poco::Net::IPAddress client, std::string requestId,
                           bool secure, std::optional<std::string> body, bool viaTrustedProxy)
    : _request(request), _response(response), _route(route), _params(std::move(params)),
      _principal(std::move(principal)), _client(std::move(client)), _requestId(std::move(requestId)),
      _secure(secure), _viaTrustedProxy(viaTrustedProxy), _body(std::move(body))
{
    try {
        for (const auto& [name, value] : Poco::URI(request.getURI()).getQueryParameters())
            _query.emplace(name, value);
    } catch (const Poco::Exception&) {
        throw HttpError(400, "the query string is not valid percent-encoding");
    }
}

const std::string& HttpExchange::param(const std::string& name) const
{
    static const std::string empty;
    const auto it = _params.find(name);
    return it == _params.end() ? empty : it->second;
}

std::optional<std::string> HttpExchange::query(const std::string& name) const
{
    const auto it = _query.find(name);
    if (it == _query.end())
        return std::nullopt;
    return it->second;
}

const std::string& HttpExchange::body()
{
    if (_body)
        return *_body;
    const std::size_t limit = _route.bodyLimit;
    if (_request.hasContentLength() && static_cast<std::size_t>(_request.getContentLength64()) > limit)
        throw HttpError(413, "request body exceeds the limit of " + std::to_string(limit) + " bytes");
    auto text = RequestBody::read(_request.stream(), limit);
    if (!text)
        throw HttpError(413, "request body exceeds the limit of " + std::to_string(limit) + " bytes");
    // A read that failed (too slow, reset) ends the stream like the end of the body would: a
    // body cut short must never be taken for the whole one.
    if (_request.stream().bad()) {
        const auto* framed = dynamic_cast<const PacedBody*>(&_request);
        if (framed && framed->bodyTimedOut())
            throw HttpError(408, "the request body arrived too slowly (it may take http.body_timeout_seconds plus "
                                 "one second per http.body_min_bytes_per_second); send it faster");
        throw HttpError(400, "the request body could not be read to its end; send it again");
    }
    if (_request.hasContentLength() && static_cast<Poco::Int64>(text->size()) != _request.getContentLength64())
        throw HttpError(400, "the request body ended after " + std::to_string(text->size()) + " of its " +
                                 std::to_string(_request.getContentLength64()) + " bytes (Content-Length)");
    _body = std::move(*text);
    return *_body;
}

Poco::JSON::Object::Ptr HttpExchange::jsonBody()
{
    const std::string& text = body();
    if (Poco::trim(text).empty())
        throw HttpError(400, "a JSON object body is required");
    try {
        Poco::Dynamic::Var parsed = Poco::JSON::Parser().parse(text);
        if (parsed.type() == typeid(Poco::JSON::Object::Ptr))
            return parsed.extract<Poco::JSON::Object::Ptr>();
    } catch (const Poco::Exception& e) {
        throw HttpError(400, "the body is not valid JSON: " + e.message());
    }
    throw HttpError(400, "the body must be a JSON object");
}

std::map<std::string, std::string> HttpExchange::fields()
{
    std::map<std::string, std::string> out;
    const std::string type = Poco::toLower(_request.getContentType());
    if (type.find("application/x-www-form-urlencoded") != std::string::npos) {
        std::istringstream in(body());
        Poco::Net::HTMLForm form;
        try {
            form.setFieldLimit(1000);
            form.read(in);
        } catch (const Poco::Exception& e) {
            throw HttpError(400, "the form body cannot be read: " + e.message());
        }
        for (const auto& [name, value] : form)
            out.emplace(name, value);
        return out;
    }
    const auto object = jsonBody();
    for (const auto& [name, value] : *object) {
        if (value.isString() || value.isNumeric() || value.isBoolean())
            out[name] = value.convert<std::string>();
    }
    return out;
}

void HttpExchange::sendJson(int status, const Poco::Dynamic::Var& value)
{
    std::ostringstream out;
    if (value.isEmpty())
        out << "null";
    else
        Poco::JSON::Stringifier::stringify(value, out);
    sendText(status, "application/json", out.str());
}

void HttpExchange::sendText(int status, const std::string& contentType, const std::string& text)
{
    _response.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
    _response.setContentType(contentType);
    if (!_response.has("Cache-Control"))
        _response.set("Cache-Control", "no-store");
    _response.setContentLength(static_cast<std::streamsize>(text.size()));
    std::ostream& out = _response.send();
    if (_request.getMethod() != "HEAD")
        out << text;
}

void HttpExchange::redirect(const std::string& location, int status)
{
    _response.set("Location", location);
    sendText(status, "text/plain", "");
}

void HttpExchange::sendError(int status, const std::string& message, const std::string& code,
                             const std::string& extraJson)
{
    ErrorResponse::send(_response, _route.errorStyle, status, message, code, extraJson);
}

} // namespace comfygate
