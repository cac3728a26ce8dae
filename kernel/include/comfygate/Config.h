#pragma once

#include <string>
#include <vector>

namespace comfygate {

/// A read-only view of the layered configuration (defaults, properties file, environment,
/// command line). A module's own view is rooted at `modules.<name>.`; the global view at the
/// root. Getters throw std::invalid_argument naming the key when a value does not parse.
class Config
{
public:
    virtual ~Config() = default;

    virtual bool has(const std::string& key) const = 0;
    virtual std::string getString(const std::string& key, const std::string& fallback) const = 0;
    virtual long long getInt(const std::string& key, long long fallback) const = 0;
    virtual double getDouble(const std::string& key, double fallback) const = 0;
    virtual bool getBool(const std::string& key, bool fallback) const = 0;
    /// A comma-separated value split and trimmed; empty items dropped.
    virtual std::vector<std::string> getList(const std::string& key,
                                             const std::vector<std::string>& fallback) const = 0;
    /// The full key as the operator writes it (prefix + key), for messages.
    virtual std::string fullKey(const std::string& key) const = 0;
};

} // namespace comfygate
