#include "UpstreamHosts.h"

#include "comfygate/HttpError.h"

#include <Poco/NumberParser.h>
#include <Poco/String.h>

#include <stdexcept>

namespace comfygate::comfyproxy {
namespace {

std::set<std::string> labelsOf(const Config& config, const std::string& key)
{
    std::set<std::string> labels;
    for (auto label : config.getList(key, {})) {
        label = Poco::trim(label);
        if (!label.empty())
            labels.insert(label);
    }
    return labels;
}

std::string joined(const std::set<std::string>& labels)
{
    std::string text;
    for (const auto& label : labels)
        text += (text.empty() ? "" : ",") + label;
    return text;
}

} // namespace

UpstreamHosts::UpstreamHosts(const Config& config, const UpstreamClient::Settings& settings)
{
    std::vector<std::string> urls;
    for (auto url : config.getList("comfy.upstreams", {})) {
        url = Poco::trim(url);
        if (!url.empty())
            urls.push_back(url);
    }
    if (urls.empty()) {
        _hosts.push_back(std::make_unique<UpstreamHost>(1, settings, 1.0, std::set<std::string>{}));
    } else {
        for (std::size_t i = 0; i < urls.size(); ++i) {
            const std::string prefix = "comfy.upstream." + std::to_string(i + 1) + ".";
            const double weight = config.getDouble(prefix + "weight", 1.0);
            if (!(weight > 0 && weight <= 1000))
                throw std::invalid_argument("configuration key " + config.fullKey(prefix + "weight") +
                                            ": must be a number above 0 and at most 1000");
            for (std::size_t j = 0; j < i; ++j)
                if (_hosts[j]->url() == urls[i])
                    throw std::invalid_argument("configuration key " + config.fullKey("comfy.upstreams") + ": '" +
                                                urls[i] + "' is listed twice");
            UpstreamClient::Settings host = settings;
            host.url = urls[i];
            try {
                _hosts.push_back(
                    std::make_unique<UpstreamHost>(i + 1, host, weight, labelsOf(config, prefix + "labels")));
            } catch (const std::invalid_argument&) {
                throw std::invalid_argument("configuration key " + config.fullKey("comfy.upstreams") + ": '" + urls[i] +
                                            "' must be an http:// URL of a ComfyUI server");
            }
        }
    }
    const std::string merge = Poco::toLower(config.getString("comfy.upstreams.merge", "intersection"));
    if (merge == "union")
        _merge = Merge::Union;
    else if (merge != "intersection")
        throw std::invalid_argument("configuration key " + config.fullKey("comfy.upstreams.merge") + ": '" + merge +
                                    "' must be intersection or union");
}

std::vector<UpstreamHost*> UpstreamHosts::all() const
{
    std::vector<UpstreamHost*> hosts;
    for (const auto& host : _hosts)
        hosts.push_back(host.get());
    return hosts;
}

std::vector<UpstreamHost*> UpstreamHosts::reachable() const
{
    if (!several())
        return {_hosts.front().get()};
    std::vector<UpstreamHost*> hosts;
    for (const auto& host : _hosts)
        if (host->usable())
            hosts.push_back(host.get());
    return hosts;
}

UpstreamHost& UpstreamHosts::hostFor(const std::string& url)
{
    for (const auto& host : _hosts)
        if (host->url() == url)
            return *host;
    return *_hosts.front();
}

UpstreamHost& UpstreamHosts::place(const std::string& promptId, const std::set<std::string>& labels)
{
    std::lock_guard lock(_placeMutex);
    // One host takes every prompt, whatever a policy asks for; no monitor would see them end.
    if (!several())
        return *_hosts.front();
    UpstreamHost* best = nullptr;
    double bestLoad = 0;
    bool anyLabelled = false;
    for (const auto& host : _hosts) {
        bool matches = true;
        for (const auto& label : labels)
            matches = matches && host->labels().count(label) != 0;
        if (!matches)
            continue;
        anyLabelled = true;
        if (!host->usable())
            continue;
        const double load = host->load();
        if (!best || load < bestLoad) {
            best = host.get();
            bestLoad = load;
        }
    }
    if (!best) {
        if (!anyLabelled)
            throw HttpError(503,
                            "no ComfyUI host has the labels " + joined(labels) +
                                " the prompt policy asked for: add them to a comfy.upstream.<n>.labels",
                            "no_upstream");
        throw HttpError(503,
                        "every ComfyUI host" + (labels.empty() ? std::string() : " labelled " + joined(labels)) +
                            " is down: try again when one is back (comfygate upstreams shows their state)",
                        "no_upstream");
    }
    best->track(promptId);
    return *best;
}

} // namespace comfygate::comfyproxy
