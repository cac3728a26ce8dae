#pragma once

#include "UpstreamHost.h"

#include "comfygate/Config.h"

#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace comfygate::comfyproxy {

/// The ComfyUI hosts behind the gateway: `comfy.upstreams` (comma-separated base URLs, each
/// with `comfy.upstream.<n>.weight` and `comfy.upstream.<n>.labels`, n counting from 1), or
/// the one `comfy.url` when that key is unset. With one host everything goes to it, as before
/// several were possible.
///
/// A prompt is placed on the least-loaded usable host (UpstreamHost::load(), divided by the
/// weight), among those holding every label the `prompt` policy asked for; everything about
/// it afterwards goes to the host recorded with it (hostFor()).
class UpstreamHosts
{
public:
    enum class Merge
    {
        Intersection, ///< what every reachable host offers (a prompt using it runs anywhere)
        Union         ///< what any host offers
    };

    /// Reads the keys above; std::invalid_argument naming the key for a bad value.
    UpstreamHosts(const Config& config, const UpstreamClient::Settings& settings);

    /// More than one host (the multi-host behaviour: merged lists, health monitors).
    bool several() const { return _hosts.size() > 1; }
    UpstreamHost& primary() { return *_hosts.front(); }
    std::vector<UpstreamHost*> all() const;
    /// The hosts to ask for a merged list: every host not known to be down (with one host: it,
    /// whatever its state, so that an unreachable ComfyUI still answers 502 as before).
    std::vector<UpstreamHost*> reachable() const;
    /// The host a prompt was recorded with (its URL; "" or a URL no longer configured: the first).
    UpstreamHost& hostFor(const std::string& url);
    Merge merge() const { return _merge; }

    /// Chooses the host for a new prompt and counts the prompt on it, in one step so that
    /// concurrent prompts spread. Throws HttpError 503 when no usable host holds `labels`. With
    /// one host: that host, whatever the labels.
    UpstreamHost& place(const std::string& promptId, const std::set<std::string>& labels);

private:
    std::vector<std::unique_ptr<UpstreamHost>> _hosts;
    Merge _merge = Merge::Intersection;
    std::mutex _placeMutex;
};

} // namespace comfygate::comfyproxy
