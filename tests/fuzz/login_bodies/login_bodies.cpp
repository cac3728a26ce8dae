// MSS-Login's POST /login, /register and /generate_token bodies, read the way their handlers
// read them: HttpExchange::fields() (a JSON object or an application/x-www-form-urlencoded
// form), HttpExchange::jsonBody(), the query string (HttpExchange's constructor) and the
// `next` the browser asked to return to (ReturnPath). Input: the Content-Type on the first
// line, the request URI on the second, the body after it. Only 400 HttpErrors may be thrown,
// and a return path must be a path on this server.
#include "ReturnPath.h"

#include "comfygate/HttpError.h"
#include "comfygate/HttpExchange.h"
#include "comfygate/Route.h"

#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/SocketAddress.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>

namespace {

// The handlers read a body HttpExchange already holds, so nothing here is ever sent or read.
class IdleResponse : public Poco::Net::HTTPServerResponse
{
public:
    void sendContinue() override {}
    std::ostream& send() override { return _out; }
    void sendFile(const std::string&, const std::string&) override {}
    void sendBuffer(const void*, std::size_t) override {}
    void redirect(const std::string&, HTTPStatus) override {}
    void requireAuthentication(const std::string&) override {}
    bool sent() const override { return false; }

private:
    std::ostringstream _out;
};

class HeldRequest : public Poco::Net::HTTPServerRequest
{
public:
    HeldRequest(const std::string& contentType, const std::string& uri, IdleResponse& response)
        : _response(response), _params(new Poco::Net::HTTPServerParams)
    {
        setMethod("POST");
        setURI(uri);
        setContentType(contentType);
    }
    std::istream& stream() override { return _in; }
    const Poco::Net::SocketAddress& clientAddress() const override { return _address; }
    const Poco::Net::SocketAddress& serverAddress() const override { return _address; }
    const Poco::Net::HTTPServerParams& serverParams() const override { return *_params; }
    Poco::Net::HTTPServerResponse& response() const override { return _response; }
    bool secure() const override { return false; }

private:
    IdleResponse& _response;
    Poco::Net::HTTPServerParams::Ptr _params;
    std::istringstream _in;
    Poco::Net::SocketAddress _address{"127.0.0.1", 8190};
};

void checkReturnPath(const std::string& next)
{
    const std::string path = comfygate::auth::ReturnPath::from(next);
    if (path.empty() || path[0] != '/' || (path.size() > 1 && (path[1] == '/' || path[1] == '\\')))
        std::abort();
    for (const char c : path)
        if (c == '\\' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
            std::abort();
}

std::string line(const std::string& text, std::size_t& start)
{
    const auto newline = text.find('\n', start);
    const std::string part = text.substr(start, newline == std::string::npos ? std::string::npos : newline - start);
    start = newline == std::string::npos ? text.size() : newline + 1;
    return part;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string text(reinterpret_cast<const char*>(data), size);
    std::size_t start = 0;
    const std::string contentType = line(text, start);
    const std::string uri = "/login" + line(text, start);
    const std::string body = text.substr(start);

    comfygate::RouteSpec route;
    route.bodyLimit = 16 * 1024;
    IdleResponse response;
    HeldRequest request(contentType, uri, response);
    try {
        comfygate::HttpExchange exchange(request, response, route, {}, comfygate::Principal::anonymous(),
                                         Poco::Net::IPAddress("127.0.0.1"), "fuzz", false, body, false);
        checkReturnPath(exchange.query("next").value_or("/"));
        const auto fields = exchange.fields();
        const auto next = fields.find("next");
        if (next != fields.end())
            checkReturnPath(next->second);
        exchange.jsonBody();
    } catch (const comfygate::HttpError& e) {
        if (e.status() != 400)
            std::abort();
    }
    return 0;
}
