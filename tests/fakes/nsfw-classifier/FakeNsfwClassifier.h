#pragma once

#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace comfygate::fakes {

/// An NSFW image classifier speaking Hugging Face's image-classification inference shape, for
/// the tests of scripts/policy/nsfw_classifier.lua (see README.md for the protocol):
///
///   POST <any path>   body: the image bytes (any Content-Type but JSON), or JSON
///                     {"inputs": "<http URL of the image>"} (the image is fetched with GET)
///   200 [{"label":"nsfw","score":0.97},{"label":"normal","score":0.03}]   labels by score, high first
///   400 {"error": "..."}  a body that is neither, or an image that cannot be fetched
///
/// It cannot see: an image is "nsfw" (0.97) when its bytes contain one of the marker words
/// given to the constructor, "normal" (0.98) otherwise. Bound to 127.0.0.1 only.
class FakeNsfwClassifier
{
public:
    /// One request as received: path, Content-Type and what it classified (the fetched URL, or
    /// "<bytes>"), and the top label it answered.
    struct Call
    {
        std::string path;
        std::string contentType;
        std::string image;
        std::string label;
    };

    explicit FakeNsfwClassifier(std::vector<std::string> nsfwMarkers);
    ~FakeNsfwClassifier();
    FakeNsfwClassifier(const FakeNsfwClassifier&) = delete;
    FakeNsfwClassifier& operator=(const FakeNsfwClassifier&) = delete;

    /// Listens on 127.0.0.1:`port` (0: any free port).
    void start(unsigned port = 0);
    void stop();
    unsigned port() const { return _port; }
    /// "http://127.0.0.1:PORT" + path
    std::string url(const std::string& path = "/") const;

    std::vector<Call> calls() const;

    /// Answers one request (public for the server's handler).
    void handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response);

private:
    std::string classify(const std::string& bytes) const;

    std::vector<std::string> _markers;
    std::unique_ptr<Poco::Net::HTTPServer> _server;
    unsigned _port = 0;
    mutable std::mutex _mutex;
    std::vector<Call> _calls;
};

} // namespace comfygate::fakes
