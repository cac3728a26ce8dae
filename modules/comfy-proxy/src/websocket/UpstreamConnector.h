#pragma once

#include <Poco/Net/WebSocket.h>
#include <Poco/Timespan.h>
#include <Poco/URI.h>

#include <string>

namespace comfygate::comfyproxy {

/// Opens a WebSocket to ComfyUI's `/ws` under a given sid (`?clientId=`), with a connect
/// timeout, as a client of ComfyUI (no Origin header, so its origin guard lets it in).
class UpstreamConnector
{
public:
    explicit UpstreamConnector(const std::string& comfyUrl, Poco::Timespan timeout = Poco::Timespan(5, 0))
        : _url(comfyUrl), _timeout(timeout)
    {
    }

    /// Throws HttpError 502 `upstream_unavailable` when ComfyUI refuses or cannot be reached.
    Poco::Net::WebSocket open(const std::string& sid) const;
    std::string url() const { return _url.toString(); }

private:
    Poco::URI _url;
    Poco::Timespan _timeout;
};

} // namespace comfygate::comfyproxy
