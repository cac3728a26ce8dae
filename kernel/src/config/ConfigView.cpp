#include "ConfigView.h"

#include "Configuration.h"

namespace comfygate {

ConfigView::ConfigView(const Configuration& root, std::string prefix)
    : _root(root), _prefix(std::move(prefix))
{
}

bool ConfigView::has(const std::string& key) const { return _root.has(fullKey(key)); }

std::string ConfigView::getString(const std::string& key, const std::string& fallback) const
{
    return _root.getString(fullKey(key), fallback);
}

long long ConfigView::getInt(const std::string& key, long long fallback) const
{
    return _root.getInt(fullKey(key), fallback);
}

double ConfigView::getDouble(const std::string& key, double fallback) const
{
    return _root.getDouble(fullKey(key), fallback);
}

bool ConfigView::getBool(const std::string& key, bool fallback) const
{
    return _root.getBool(fullKey(key), fallback);
}

std::vector<std::string> ConfigView::getList(const std::string& key,
                                             const std::vector<std::string>& fallback) const
{
    return _root.getList(fullKey(key), fallback);
}

} // namespace comfygate
