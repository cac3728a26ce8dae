#include "ErrorResponse.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <sstream>

namespace comfygate {

std::string ErrorResponse::defaultCode(int status)
{
    switch (status) {
    case 400: return "bad_request";
    case 401: return "unauthorized";
    case 403: return "forbidden";
    case 404: return "not_found";
    case 405: return "method_not_allowed";
    case 409: return "conflict";
    case 413: return "payload_too_large";
    case 415: return "unsupported_media_type";
    case 429: return "too_many_requests";
    case 502: return "bad_gateway";
    case 503: return "unavailable";
    default: return status >= 500 ? "internal_error" : "error";
    }
}

std::string ErrorResponse::body(ErrorStyle style, int status, const std::string& message,
                                const std::string& code, const std::string& extraJson)
{
    Poco::JSON::Object::Ptr object;
    if (!extraJson.empty()) {
        try {
            object = Poco::JSON::Parser().parse(extraJson).extract<Poco::JSON::Object::Ptr>();
        } catch (...) {
        }
    }
    if (!object)
        object = new Poco::JSON::Object;
    const std::string stableCode = code.empty() ? defaultCode(status) : code;
    switch (style) {
    case ErrorStyle::Plain:
        object->set("error", message);
        if (!code.empty())
            object->set("code", code);
        break;
    case ErrorStyle::SwarmUI:
        object->set("error", message);
        object->set("error_id", stableCode);
        break;
    case ErrorStyle::ComfyCloud:
        object->set("code", stableCode);
        object->set("message", message);
        break;
    }
    std::ostringstream out;
    object->stringify(out);
    return out.str();
}

void ErrorResponse::send(Poco::Net::HTTPServerResponse& response, ErrorStyle style, int status,
                         const std::string& message, const std::string& code, const std::string& extraJson)
{
    const std::string text = body(style, status, message, code, extraJson);
    response.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
    response.setContentType("application/json");
    response.set("Cache-Control", "no-store");
    response.setContentLength(static_cast<std::streamsize>(text.size()));
    response.send() << text;
}

} // namespace comfygate
