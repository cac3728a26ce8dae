#include "HttpTestClient.h"

#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <Poco/String.h>

namespace comfygate::test {

std::string HttpResult::header(const std::string& name) const
{
    const auto it = headers.find(Poco::toLower(name));
    return it == headers.end() ? std::string() : it->second;
}

Poco::JSON::Object::Ptr HttpResult::json() const
{
    return Poco::JSON::Parser().parse(body).extract<Poco::JSON::Object::Ptr>();
}

HttpResult HttpTestClient::request(const std::string& method, const std::string& uri, const std::string& body,
                                   const std::map<std::string, std::string>& headers) const
{
    Poco::Net::HTTPClientSession session(_host, static_cast<Poco::UInt16>(_port));
    session.setTimeout(Poco::Timespan(30, 0));
    Poco::Net::HTTPRequest request(method, uri, Poco::Net::HTTPMessage::HTTP_1_1);
    for (const auto& [name, value] : headers)
        request.set(name, value);
    if (!body.empty() || method == "POST" || method == "PUT")
        request.setContentLength(static_cast<std::streamsize>(body.size()));
    session.sendRequest(request) << body;
    Poco::Net::HTTPResponse response;
    std::istream& in = session.receiveResponse(response);
    HttpResult result;
    result.status = static_cast<int>(response.getStatus());
    for (const auto& [name, value] : response) {
        // Repeated headers (several Set-Cookie) are kept, one per line.
        std::string& slot = result.headers[Poco::toLower(name)];
        slot += (slot.empty() ? "" : "\n") + value;
    }
    if (method != "HEAD")
        Poco::StreamCopier::copyToString(in, result.body);
    return result;
}

} // namespace comfygate::test
