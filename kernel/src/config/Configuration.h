#pragma once

#include "comfygate/Config.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace comfygate {

/// The layered configuration: built-in defaults (the shipped etc/comfygate.properties,
/// compiled in), a properties file, the environment, command-line overrides. Later layers
/// win. Every value remembers where it came from, so errors can say which knob to turn.
class Configuration : public Config
{
public:
    /// Starts with the built-in defaults only.
    Configuration();
    /// Starts with the given defaults text (properties syntax); for tests.
    explicit Configuration(const std::string& defaultsText);

    /// Overlays a properties file. Throws std::runtime_error naming the file when unreadable.
    void loadFile(const std::string& path);
    /// Overlays the environment: COMFYGATE_<KEY> for every known key, and the MSS-Login names.
    void applyEnvironment(const std::map<std::string, std::string>& environment);
    /// Overlays command-line `key=value` overrides.
    void applyOverrides(const std::map<std::string, std::string>& overrides);

    /// The process environment as a map, for applyEnvironment().
    static std::map<std::string, std::string> processEnvironment();
    /// `COMFYGATE_` + key upper-cased with dots as underscores.
    static std::string environmentName(const std::string& key);

    /// Keys set in a file or overrides that the defaults do not know (likely typos).
    const std::vector<std::string>& unknownKeys() const { return _unknown; }
    /// True when the key was set above the defaults layer.
    bool isExplicit(const std::string& key) const;
    /// Where the key's value came from: "default", a file path, an environment name or "--set".
    std::string sourceOf(const std::string& key) const;
    /// The keys that start with `prefix`, with the prefix removed.
    std::map<std::string, std::string> withPrefix(const std::string& prefix) const;

    /// A view rooted at `prefix` (e.g. "modules.auth.") for a module.
    std::unique_ptr<Config> view(const std::string& prefix) const;

    /// An experimental feature is on when set explicitly, or when the master switch
    /// (`experimental.enabled`) is on and the feature is not set explicitly.
    bool experimental(const std::string& feature) const;

    bool has(const std::string& key) const override;
    std::string getString(const std::string& key, const std::string& fallback) const override;
    long long getInt(const std::string& key, long long fallback) const override;
    double getDouble(const std::string& key, double fallback) const override;
    bool getBool(const std::string& key, bool fallback) const override;
    std::vector<std::string> getList(const std::string& key,
                                     const std::vector<std::string>& fallback) const override;
    std::string fullKey(const std::string& key) const override { return key; }

private:
    /// A key the defaults declare, or one under a prefix whose names the operator chooses
    /// (modules.*, policy.settings.*, policy.channels.*).
    bool isKnownKey(const std::string& key) const;
    struct Value
    {
        std::string text;
        std::string source;
    };

    void overlay(const std::string& key, const std::string& text, const std::string& source);
    const Value* find(const std::string& key) const;

    std::map<std::string, Value> _values;
    std::map<std::string, bool> _knownKeys;
    std::vector<std::string> _unknown;
};

} // namespace comfygate
