#include "PolicyEffectsSettings.h"

#include "Configuration.h"

#include <Poco/Exception.h>
#include <Poco/URI.h>

#include <stdexcept>

namespace comfygate {

namespace {

long long positive(const Configuration& config, const std::string& key, long long fallback)
{
    const long long value = config.getInt(key, fallback);
    if (value < 1)
        throw std::invalid_argument(key + " must be at least 1 (got " + std::to_string(value) + ")");
    return value;
}

void checkHttpUrl(const std::string& key, const std::string& url)
{
    try {
        const Poco::URI uri(url);
        if ((uri.getScheme() == "http" || uri.getScheme() == "https") && !uri.getHost().empty())
            return;
    } catch (const Poco::Exception&) {
    }
    throw std::invalid_argument(key + " must be an http:// or https:// URL (got '" + url + "')");
}

} // namespace

PolicyEffectsSettings PolicyEffectsSettings::read(const Configuration& config)
{
    PolicyEffectsSettings settings;
    settings.kvMaxValueBytes = static_cast<std::size_t>(positive(config, "policy.kv.max_value_bytes", 4096));
    settings.kvMaxKeysPerUser = static_cast<std::size_t>(positive(config, "policy.kv.max_keys_per_user", 100));
    settings.counterSweepInterval = std::chrono::seconds(positive(config, "policy.counter_sweep_seconds", 60));
    settings.httpAllowHosts = config.getList("policy.http.allow_hosts", {});
    settings.httpTimeout = std::chrono::milliseconds(positive(config, "policy.http.timeout_ms", 5000));
    settings.httpMaxResponseBytes =
        static_cast<std::uint64_t>(positive(config, "policy.http.max_response_bytes", 1048576));
    settings.notifyInterval = std::chrono::milliseconds(positive(config, "policy.notify.interval_ms", 1000));
    settings.notifyTimeout = std::chrono::milliseconds(positive(config, "policy.notify.timeout_ms", 10000));
    settings.notifyMaxAttempts = static_cast<int>(positive(config, "policy.notify.max_attempts", 8));
    settings.notifyRetryBase = std::chrono::milliseconds(positive(config, "policy.notify.retry_base_ms", 2000));
    settings.notifyRetryMax = std::chrono::milliseconds(positive(config, "policy.notify.retry_max_ms", 3600000));

    for (const auto& [suffix, value] : config.withPrefix("policy.channels.")) {
        const auto dot = suffix.find('.');
        const std::string key = "policy.channels." + suffix;
        if (dot == std::string::npos || dot == 0)
            throw std::invalid_argument(key + ": expected policy.channels.<name>.<type|url|secret|token>");
        const std::string name = suffix.substr(0, dot);
        const std::string field = suffix.substr(dot + 1);
        auto& channel = settings.channels[name];
        channel.name = name;
        if (field == "type")
            channel.type = value;
        else if (field == "url")
            channel.url = value;
        else if (field == "secret")
            channel.secret = value;
        else if (field == "token")
            channel.token = value;
        else
            throw std::invalid_argument(key + ": unknown channel setting '" + field +
                                        "' (use type, url, secret or token)");
    }
    for (auto& [name, channel] : settings.channels) {
        const std::string prefix = "policy.channels." + name + ".";
        for (char c : name) {
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
                throw std::invalid_argument(prefix + "*: a channel name is a-z, 0-9, _ and -");
        }
        if (channel.type.empty())
            channel.type = "webhook";
        if (channel.type != "webhook" && channel.type != "ntfy" && channel.type != "log")
            throw std::invalid_argument(prefix + "type must be webhook, ntfy or log (got '" + channel.type + "')");
        if (channel.type != "log")
            checkHttpUrl(prefix + "url", channel.url);
    }
    return settings;
}

} // namespace comfygate
