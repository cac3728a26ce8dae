#pragma once

#include <Poco/CountingStream.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>

#include <ostream>
#include <string>

namespace comfygate {

/// The head of a Poco HTTP message, rendered once into one string.
///
/// Poco writes a head with an ostream `<<` per piece (about 40 for a typical response, each
/// with its sentry and locale checks) and, to size the body stream of a message with a
/// Content-Length, twice: once into a CountingOutputStream that counts it character by
/// character, then for real. For a small answer that is a fifth of the gateway's time. A
/// message class overrides its virtual `write(std::ostream&)` with put(): the counting pass
/// then costs an addition and the real one a single block write of the same bytes
/// (HttpHeadTest compares them with Poco's own write()).
class HttpHead
{
public:
    /// `HTTP/1.1 200 OK`, then every `Name: value`, each line ending in CRLF, then an empty line.
    static std::string of(const Poco::Net::HTTPResponse& response)
    {
        std::string head;
        head.reserve(256);
        head += response.getVersion();
        head += ' ';
        head += std::to_string(static_cast<int>(response.getStatus()));
        head += ' ';
        head += response.getReason();
        head += "\r\n";
        appendFields(head, response);
        return head;
    }

    /// `GET /path HTTP/1.1`, then the fields as for a response.
    static std::string of(const Poco::Net::HTTPRequest& request)
    {
        std::string head;
        head.reserve(256);
        head += request.getMethod();
        head += ' ';
        head += request.getURI();
        head += ' ';
        head += request.getVersion();
        head += "\r\n";
        appendFields(head, request);
        return head;
    }

    /// Writes `head` to `out`; into the counting stream Poco sizes a body stream with, only
    /// adds its length.
    static void put(std::ostream& out, const std::string& head)
    {
        if (auto* counting = dynamic_cast<Poco::CountingOutputStream*>(&out)) {
            counting->addChars(static_cast<std::streamsize>(head.size()));
            return;
        }
        out.write(head.data(), static_cast<std::streamsize>(head.size()));
    }

private:
    static void appendFields(std::string& head, const Poco::Net::MessageHeader& fields)
    {
        for (const auto& [name, value] : fields) {
            head += name;
            head += ": ";
            head += value;
            head += "\r\n";
        }
        head += "\r\n";
    }
};

} // namespace comfygate
