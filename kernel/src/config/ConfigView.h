#pragma once

#include "comfygate/Config.h"

#include <string>

namespace comfygate {

class Configuration;

/// A module's window onto the configuration: `getInt("workers")` reads
/// `modules.<name>.workers`, and error messages name the full key.
class ConfigView : public Config
{
public:
    ConfigView(const Configuration& root, std::string prefix);

    bool has(const std::string& key) const override;
    std::string getString(const std::string& key, const std::string& fallback) const override;
    long long getInt(const std::string& key, long long fallback) const override;
    double getDouble(const std::string& key, double fallback) const override;
    bool getBool(const std::string& key, bool fallback) const override;
    std::vector<std::string> getList(const std::string& key,
                                     const std::vector<std::string>& fallback) const override;
    std::string fullKey(const std::string& key) const override { return _prefix + key; }

private:
    const Configuration& _root;
    std::string _prefix;
};

} // namespace comfygate
