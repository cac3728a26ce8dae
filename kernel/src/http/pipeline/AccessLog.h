#pragma once

#include <Poco/Logger.h>

#include <string>

namespace comfygate {

/// One line per request on the "access" logger, as text or JSON. Query strings are
/// redacted of credentials (token, access_token, api_key, key, password).
class AccessLog
{
public:
    enum class Format
    {
        Off,
        Text,
        Json
    };

    struct Entry
    {
        std::string requestId;
        std::string client;
        std::string method;
        std::string uri;
        std::string route;
        int status = 0;
        double seconds = 0;
        std::string user;
    };

    explicit AccessLog(Format format);
    static Format parseFormat(const std::string& text); ///< throws std::invalid_argument

    void write(const Entry& entry);

    /// The URI with the values of credential-bearing query parameters replaced by "***".
    static std::string redact(const std::string& uri);

private:
    Format _format;
    Poco::Logger& _logger;
};

} // namespace comfygate
