#pragma once

#include <Poco/JSON/Object.h>

#include <map>
#include <string>

namespace comfygate::test {

struct HttpResult
{
    int status = 0;
    std::map<std::string, std::string> headers; ///< names lower-cased; repeated headers joined by newlines
    std::string body;

    std::string header(const std::string& name) const;
    /// The body parsed as a JSON object (throws when it is not one).
    Poco::JSON::Object::Ptr json() const;
};

/// A plain HTTP/1.1 client for tests (Poco::Net::HTTPClientSession, one connection per call).
class HttpTestClient
{
public:
    explicit HttpTestClient(unsigned port, std::string host = "127.0.0.1") : _host(std::move(host)), _port(port) {}

    HttpResult request(const std::string& method, const std::string& uri, const std::string& body = {},
                       const std::map<std::string, std::string>& headers = {}) const;
    HttpResult get(const std::string& uri, const std::map<std::string, std::string>& headers = {}) const
    {
        return request("GET", uri, {}, headers);
    }
    HttpResult postJson(const std::string& uri, const std::string& json,
                        std::map<std::string, std::string> headers = {}) const
    {
        headers.emplace("Content-Type", "application/json");
        return request("POST", uri, json, headers);
    }

private:
    std::string _host;
    unsigned _port;
};

} // namespace comfygate::test
