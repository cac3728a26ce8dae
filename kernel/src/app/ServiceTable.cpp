#include "ServiceTable.h"

#include <stdexcept>

namespace comfygate {

void ServiceTable::publishErased(const std::string& name, std::type_index type, std::shared_ptr<void> service)
{
    std::lock_guard lock(_mutex);
    if (!_services.emplace(name, Entry{type, std::move(service)}).second)
        throw std::logic_error("service '" + name + "' is already published");
}

std::shared_ptr<void> ServiceTable::findErased(const std::string& name, std::type_index type) const
{
    std::lock_guard lock(_mutex);
    const auto it = _services.find(name);
    if (it == _services.end())
        return nullptr;
    if (it->second.type != type)
        throw std::logic_error("service '" + name + "' was published with another type");
    return it->second.service;
}

} // namespace comfygate
