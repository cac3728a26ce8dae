#pragma once

#include "comfygate/Route.h"

#include <Poco/Net/HTTPServerResponse.h>

#include <string>

namespace comfygate {

/// Writes an error body in the shape of an API family (see ErrorStyle):
///   Plain      {"error": message}
///   SwarmUI    {"error": message, "error_id": code}
///   ComfyCloud {"code": code, "message": message}
/// `extraJson`, a JSON object text, adds members (e.g. `remaining_seconds`).
class ErrorResponse
{
public:
    static std::string body(ErrorStyle style, int status, const std::string& message,
                            const std::string& code, const std::string& extraJson);
    static void send(Poco::Net::HTTPServerResponse& response, ErrorStyle style, int status,
                     const std::string& message, const std::string& code = {},
                     const std::string& extraJson = {});
    /// A stable code derived from the status when the handler gave none ("not_found", ...).
    static std::string defaultCode(int status);
};

} // namespace comfygate
