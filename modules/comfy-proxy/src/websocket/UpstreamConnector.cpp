#include "UpstreamConnector.h"

#include "comfygate/HttpError.h"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>

namespace comfygate::comfyproxy {

Poco::Net::WebSocket UpstreamConnector::open(const std::string& sid) const
{
    Poco::Net::HTTPClientSession session(_url.getHost(), _url.getPort());
    session.setTimeout(_timeout);
    std::string target;
    Poco::URI::encode(sid, "&=+#?/%", target);
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, "/ws?clientId=" + target,
                                   Poco::Net::HTTPMessage::HTTP_1_1);
    Poco::Net::HTTPResponse response;
    try {
        return Poco::Net::WebSocket(session, request, response);
    } catch (const Poco::Exception& e) {
        throw HttpError(502,
                        "ComfyUI's WebSocket is not reachable at " + _url.toString() + " (" + e.displayText() +
                            "): check that it runs and that comfy.url points at it",
                        "upstream_unavailable");
    }
}

} // namespace comfygate::comfyproxy
