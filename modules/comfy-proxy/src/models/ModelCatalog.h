#pragma once

#include "UpstreamClient.h"

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace comfygate::comfyproxy {

/// What models ComfyUI has, learned from upstream: the folder keys from GET /models and each
/// folder's files from GET /models/{folder}, kept for a short time (comfy.model_list_ttl_seconds)
/// so a prompt check or a filtered listing does not cost ~20 upstream requests.
class ModelCatalog
{
public:
    struct Snapshot
    {
        std::vector<std::string> folders;                       ///< GET /models order
        std::map<std::string, std::vector<std::string>> files;  ///< folder → relative names
        std::map<std::string, std::set<std::string>> foldersOf; ///< file name → folders holding it
    };

    ModelCatalog(UpstreamClient& upstream, std::chrono::seconds ttl) : _upstream(upstream), _ttl(ttl) {}

    /// The current snapshot, refreshed when older than the TTL. Throws HttpError(502) when
    /// ComfyUI cannot be asked (so a prompt is refused rather than checked against nothing).
    std::shared_ptr<const Snapshot> snapshot();

private:
    std::shared_ptr<const Snapshot> load();
    std::vector<std::string> fetchList(const std::string& path);

    UpstreamClient& _upstream;
    std::chrono::seconds _ttl;
    std::mutex _mutex; ///< one refresh at a time; readers keep using the old snapshot meanwhile
    std::shared_ptr<const Snapshot> _snapshot;
    std::chrono::steady_clock::time_point _loadedAt;
};

} // namespace comfygate::comfyproxy
