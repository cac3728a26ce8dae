#pragma once

#include "UpstreamHosts.h"

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <string>

namespace comfygate::comfyproxy {

/// What several ComfyUI hosts offer, as one answer (`comfy.upstreams.merge`): the model lists
/// (`/models/{folder}`, `/embeddings`: lists of names) and the node definitions (`/object_info`:
/// node classes, and in each the options of its combo inputs, which hold the model names).
/// `intersection` keeps what every reachable host has, so that whatever a client picks runs
/// on the host the prompt lands on; `union` keeps what any host has, in the first host's order
/// and then the others'.
class HostListMerge
{
public:
    HostListMerge(UpstreamHosts& hosts) : _hosts(hosts) {}

    /// GET `pathAndQuery` from every reachable host, merged; an empty Var after relaying a
    /// non-200 answer of the first host that gave one (as UpstreamClient::fetchJson()).
    /// Throws HttpError(502) when no host answers or an answer is not JSON.
    Poco::Dynamic::Var fetch(HttpExchange& exchange);

    /// The merge of two answers of the same route (exposed for its rules).
    static Poco::Dynamic::Var merge(const Poco::Dynamic::Var& left, const Poco::Dynamic::Var& right, bool intersection);

private:
    static Poco::JSON::Array::Ptr mergeNames(const Poco::JSON::Array::Ptr& left, const Poco::JSON::Array::Ptr& right,
                                             bool intersection);
    static Poco::JSON::Object::Ptr mergeNodes(const Poco::JSON::Object::Ptr& left, const Poco::JSON::Object::Ptr& right,
                                              bool intersection);
    static void mergeCombos(const Poco::JSON::Object::Ptr& inputs, const Poco::JSON::Object::Ptr& other,
                            bool intersection);

    UpstreamHosts& _hosts;
};

} // namespace comfygate::comfyproxy
