#include "FakeNsfwClassifier.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include <sstream>
#include <stdexcept>

namespace comfygate::fakes {
namespace {

class Handler : public Poco::Net::HTTPRequestHandler
{
public:
    explicit Handler(FakeNsfwClassifier& owner) : _owner(owner) {}
    void handleRequest(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override
    {
        _owner.handle(request, response);
    }

private:
    FakeNsfwClassifier& _owner;
};

class Factory : public Poco::Net::HTTPRequestHandlerFactory
{
public:
    explicit Factory(FakeNsfwClassifier& owner) : _owner(owner) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override
    {
        return new Handler(_owner);
    }

private:
    FakeNsfwClassifier& _owner;
};

struct BadRequest : std::runtime_error
{
    using std::runtime_error::runtime_error;
};

std::string fetch(const std::string& url)
{
    Poco::URI uri(url);
    if (uri.getScheme() != "http")
        throw BadRequest("inputs must be an http URL of the image");
    Poco::Net::HTTPClientSession session(uri.getHost(), uri.getPort());
    session.setTimeout(Poco::Timespan(10, 0));
    Poco::Net::HTTPRequest get(Poco::Net::HTTPRequest::HTTP_GET, uri.getPathAndQuery(),
                               Poco::Net::HTTPMessage::HTTP_1_1);
    session.sendRequest(get);
    Poco::Net::HTTPResponse answer;
    std::istream& body = session.receiveResponse(answer);
    std::string bytes;
    Poco::StreamCopier::copyToString(body, bytes);
    if (answer.getStatus() != Poco::Net::HTTPResponse::HTTP_OK)
        throw BadRequest("could not fetch the image: " + url + " answered " + std::to_string(answer.getStatus()));
    return bytes;
}

} // namespace

FakeNsfwClassifier::FakeNsfwClassifier(std::vector<std::string> nsfwMarkers) : _markers(std::move(nsfwMarkers)) {}

FakeNsfwClassifier::~FakeNsfwClassifier()
{
    stop();
}

void FakeNsfwClassifier::start(unsigned port)
{
    Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(port)));
    _port = socket.address().port();
    _server = std::make_unique<Poco::Net::HTTPServer>(new Factory(*this), socket, new Poco::Net::HTTPServerParams);
    _server->start();
}

void FakeNsfwClassifier::stop()
{
    if (_server) {
        _server->stopAll(true);
        _server.reset();
    }
}

std::string FakeNsfwClassifier::url(const std::string& path) const
{
    return "http://127.0.0.1:" + std::to_string(_port) + path;
}

std::vector<FakeNsfwClassifier::Call> FakeNsfwClassifier::calls() const
{
    std::lock_guard lock(_mutex);
    return _calls;
}

std::string FakeNsfwClassifier::classify(const std::string& bytes) const
{
    for (const auto& marker : _markers) {
        if (bytes.find(marker) != std::string::npos)
            return "nsfw";
    }
    return "normal";
}

void FakeNsfwClassifier::handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response)
{
    std::string body;
    Poco::StreamCopier::copyToString(request.stream(), body);
    response.setContentType("application/json");
    if (request.getMethod() != Poco::Net::HTTPRequest::HTTP_POST) {
        response.setStatus(Poco::Net::HTTPResponse::HTTP_METHOD_NOT_ALLOWED);
        response.send() << R"({"error":"POST the image"})";
        return;
    }
    Call call{request.getURI(), request.getContentType(), "<bytes>", ""};
    try {
        std::string image = body;
        if (request.getContentType().rfind("application/json", 0) == 0) {
            Poco::JSON::Object::Ptr json;
            try {
                json = Poco::JSON::Parser().parse(body).extract<Poco::JSON::Object::Ptr>();
            } catch (const Poco::Exception&) {
                throw BadRequest("the body is not JSON");
            }
            if (!json || !json->has("inputs") || !json->get("inputs").isString())
                throw BadRequest("JSON bodies need \"inputs\": the image's URL");
            call.image = json->getValue<std::string>("inputs");
            image = fetch(call.image);
        }
        call.label = classify(image);
        const bool nsfw = call.label == "nsfw";
        Poco::JSON::Array answer;
        Poco::JSON::Object first, second;
        first.set("label", call.label);
        first.set("score", nsfw ? 0.97 : 0.98);
        second.set("label", nsfw ? "normal" : "nsfw");
        second.set("score", nsfw ? 0.03 : 0.02);
        answer.add(first);
        answer.add(second);
        std::ostringstream out;
        answer.stringify(out);
        {
            std::lock_guard lock(_mutex);
            _calls.push_back(call);
        }
        response.send() << out.str();
    } catch (const std::exception& error) {
        {
            std::lock_guard lock(_mutex);
            _calls.push_back(call);
        }
        Poco::JSON::Object problem;
        problem.set("error", std::string(error.what()));
        std::ostringstream out;
        problem.stringify(out);
        response.setStatus(Poco::Net::HTTPResponse::HTTP_BAD_REQUEST);
        response.send() << out.str();
    }
}

} // namespace comfygate::fakes
