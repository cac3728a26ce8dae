#pragma once

#include "UpstreamRequest.h"
#include "UpstreamSession.h"

#include <Poco/Dynamic/Var.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/URI.h>

#include <cstdint>
#include <functional>
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
        std::string urlKey = "comfy.url"; ///< the setting `url` came from, for messages
        int timeoutSeconds = 300;
        std::size_t maxIdleConnections = 16;
        std::size_t maxUploadBytes = 100 * 1024 * 1024;
    };

    explicit UpstreamClient(Settings settings);

    /// Sends the exchange's request (method, raw path and query, body) upstream with the
    /// `extraHeaders` added, and streams the answer back to the client. Throws HttpError(502)
    /// when ComfyUI cannot be reached.
    void forward(HttpExchange& exchange, const std::map<std::string, std::string>& extraHeaders = {});

    /// forward() to another upstream `pathAndQuery` (e.g. a client path rewritten to the form
    /// ComfyUI's routes match).
    void forward(HttpExchange& exchange, const std::string& pathAndQuery,
                 const std::map<std::string, std::string>& extraHeaders = {});

    /// An upstream answer whose body is still to be read: for handlers that look at the first
    /// bytes before they answer (relay() sends it on; dropping it closes the connection).
    struct Stream
    {
        std::unique_ptr<UpstreamSession> session;
        Poco::Net::HTTPResponse answer;
        std::istream* body = nullptr;
    };

    /// The upstream request for the exchange: its method, `pathAndQuery`, the client's headers
    /// less the dropped ones, `extraHeaders`, X-Forwarded-For and ComfyUI's Host. The caller
    /// sets the body length.
    UpstreamRequest requestFor(HttpExchange& exchange, const std::string& pathAndQuery,
                                      const std::map<std::string, std::string>& extraHeaders = {}) const;

    /// Sends the request and reads the answer's head. `writeBody` writes the request body
    /// (none when empty; it may throw HttpError, e.g. 413). A bodiless request is tried once
    /// more on a fresh connection. Throws HttpError(502) when ComfyUI cannot be reached.
    Stream open(Poco::Net::HTTPRequest& request, const std::function<void(std::ostream&)>& writeBody = {});

    /// Sends the answer to the client: status, headers (hop-by-hop and cookies dropped),
    /// `alreadyRead` (bytes the handler took from the body) and the rest of the body, streamed.
    /// The connection goes back to the pool afterwards.
    void relay(HttpExchange& exchange, Stream& stream, const std::string& alreadyRead = {});

    /// Fetches a small JSON answer (for routes the gateway filters); throws HttpError(502).
    struct Answer
    {
        int status = 0;
        std::string contentType;
        std::string body;
    };
    Answer fetch(const std::string& method, const std::string& pathAndQuery, const std::string& body = {},
                 const std::map<std::string, std::string>& extraHeaders = {});

    /// The answer to the exchange's own request (GET of its raw path and query) parsed in
    /// ComfyUI's key order, for routes that change it; after relaying a non-200 answer to the
    /// client as it is, an empty Var. Throws HttpError(502) when the body is not JSON.
    Poco::Dynamic::Var fetchJson(HttpExchange& exchange);

    /// Sends a fetched answer to the client as it is.
    static void relay(HttpExchange& exchange, const Answer& answer);

    /// The request headers that never travel upstream (lower-case).
    static bool isDropped(const std::string& lowerName);

    const std::string& url() const { return _settings.url; }

private:
    std::unique_ptr<UpstreamSession> acquire();
    void release(std::unique_ptr<UpstreamSession> session);
    /// Copies the rest of a body of known length to the client in large blocks; false when the
    /// client went away (the upstream connection is then not reused).
    static bool copyKnownLength(HttpExchange& exchange, Stream& stream, std::ostream& client, std::uint64_t remaining);
    [[noreturn]] void unreachable(const std::string& reason) const;

    Settings _settings;
    Poco::URI _base;
    std::mutex _mutex;
    std::vector<std::unique_ptr<UpstreamSession>> _idle;
};

} // namespace comfygate::comfyproxy
