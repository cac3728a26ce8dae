#pragma once

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/URI.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace comfygate {
class HttpExchange;
}

namespace comfygate::comfyproxy {

/// Forwards requests to the upstream ComfyUI over a pool of keep-alive connections and
/// streams bodies both ways (an upload or a large /view never sits whole in memory).
/// Hop-by-hop headers, the client's credentials, `Origin` (ComfyUI's origin guard would
/// answer 403) and any client `comfy-user` are dropped; the gateway sets its own.
class UpstreamClient
{
public:
    struct Settings
    {
        std::string url = "http://127.0.0.1:8188";
        int timeoutSeconds = 300;
        std::size_t maxIdleConnections = 16;
        std::size_t maxUploadBytes = 100 * 1024 * 1024;
    };

    explicit UpstreamClient(Settings settings);

    /// Sends the exchange's request (method, raw path and query, body) upstream with the
    /// `extraHeaders` added, and streams the answer back to the client. Throws HttpError(502)
    /// when ComfyUI cannot be reached.
    void forward(HttpExchange& exchange, const std::map<std::string, std::string>& extraHeaders = {});

    /// Fetches a small JSON answer (for routes the gateway filters); throws HttpError(502).
    struct Answer
    {
        int status = 0;
        std::string contentType;
        std::string body;
    };
    Answer fetch(const std::string& method, const std::string& pathAndQuery, const std::string& body = {},
                 const std::map<std::string, std::string>& extraHeaders = {});

    /// Sends a fetched answer to the client as it is.
    static void relay(HttpExchange& exchange, const Answer& answer);

    /// The request headers that never travel upstream (lower-case).
    static bool isDropped(const std::string& lowerName);

    const std::string& url() const { return _settings.url; }

private:
    std::unique_ptr<Poco::Net::HTTPClientSession> acquire();
    void release(std::unique_ptr<Poco::Net::HTTPClientSession> session);
    [[noreturn]] void unreachable(const std::string& reason) const;

    Settings _settings;
    Poco::URI _base;
    std::mutex _mutex;
    std::vector<std::unique_ptr<Poco::Net::HTTPClientSession>> _idle;
};

} // namespace comfygate::comfyproxy
