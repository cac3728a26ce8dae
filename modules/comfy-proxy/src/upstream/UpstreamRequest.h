#pragma once

#include "comfygate/HttpHead.h"

#include <Poco/Net/HTTPRequest.h>

namespace comfygate::comfyproxy {

/// A request to ComfyUI whose head goes out as one block: Poco's HTTPClientSession writes a
/// request head twice (counting it, then sending it) with an ostream `<<` per piece, which
/// cost as much as the rest of a small proxied request's upstream round trip (HttpHead).
class UpstreamRequest : public Poco::Net::HTTPRequest
{
public:
    using Poco::Net::HTTPRequest::HTTPRequest;

    void write(std::ostream& out) const override { HttpHead::put(out, HttpHead::of(*this)); }
};

} // namespace comfygate::comfyproxy
