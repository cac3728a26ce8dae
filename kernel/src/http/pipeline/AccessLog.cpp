#include "AccessLog.h"

#include <Poco/JSON/Object.h>
#include <Poco/String.h>
#include <Poco/URI.h>

#include <set>
#include <sstream>
#include <stdexcept>

namespace comfygate {

AccessLog::AccessLog(Format format) : _format(format), _logger(Poco::Logger::get("access")) {}

AccessLog::Format AccessLog::parseFormat(const std::string& text)
{
    if (text == "off")
        return Format::Off;
    if (text == "text")
        return Format::Text;
    if (text == "json")
        return Format::Json;
    throw std::invalid_argument("configuration key http.access_log: '" + text + "' must be off, text or json");
}

std::string AccessLog::redact(const std::string& uri)
{
    static const std::set<std::string> secret{"token", "access_token", "api_key", "apikey", "key",
                                              "password", "session_id", "ticket"};
    const auto question = uri.find('?');
    if (question == std::string::npos)
        return uri;
    std::string out = uri.substr(0, question + 1);
    std::string::size_type start = question + 1;
    bool first = true;
    while (start <= uri.size()) {
        const auto amp = uri.find('&', start);
        const std::string pair = uri.substr(start, amp == std::string::npos ? std::string::npos : amp - start);
        const auto eq = pair.find('=');
        std::string name;
        try {
            Poco::URI::decode(pair.substr(0, eq), name, true);
        } catch (const Poco::Exception&) {
            name = "token"; // undecodable: redact rather than guess
        }
        name = Poco::toLower(name);
        if (!first)
            out += '&';
        out += (eq != std::string::npos && secret.count(name)) ? pair.substr(0, eq) + "=***" : pair;
        first = false;
        if (amp == std::string::npos)
            break;
        start = amp + 1;
    }
    return out;
}

void AccessLog::write(const Entry& entry)
{
    if (_format == Format::Off || !_logger.information())
        return;
    std::ostringstream line;
    if (_format == Format::Json) {
        Poco::JSON::Object object;
        object.set("request_id", entry.requestId);
        object.set("client", entry.client);
        object.set("method", entry.method);
        object.set("uri", redact(entry.uri));
        object.set("route", entry.route);
        object.set("status", entry.status);
        object.set("ms", entry.seconds * 1000.0);
        object.set("user", entry.user);
        object.stringify(line);
    } else {
        line << entry.client << " " << (entry.user.empty() ? "-" : entry.user) << " \"" << entry.method << " "
             << redact(entry.uri) << "\" " << entry.status << " " << static_cast<long long>(entry.seconds * 1e6)
             << "us id=" << entry.requestId;
    }
    _logger.information(line.str());
}

} // namespace comfygate
