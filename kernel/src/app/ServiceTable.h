#pragma once

#include "comfygate/ServiceRegistry.h"

#include <map>
#include <mutex>

namespace comfygate {

/// The services modules publish for each other, checked by type on lookup.
class ServiceTable : public ServiceRegistry
{
protected:
    void publishErased(const std::string& name, std::type_index type, std::shared_ptr<void> service) override;
    std::shared_ptr<void> findErased(const std::string& name, std::type_index type) const override;

private:
    struct Entry
    {
        std::type_index type;
        std::shared_ptr<void> service;
    };
    mutable std::mutex _mutex;
    std::map<std::string, Entry> _services;
};

} // namespace comfygate
