#pragma once

#include <memory>
#include <stdexcept>
#include <string>
#include <typeindex>

namespace comfygate {

/// Services modules publish for each other (e.g. "auth.users", "model-download.grants").
/// Modules never include each other's sources: a service interface lives in the publishing
/// module's public header under kernel/include/comfygate/services/.
class ServiceRegistry
{
public:
    virtual ~ServiceRegistry() = default;

    template <class T>
    void publish(const std::string& name, std::shared_ptr<T> service)
    {
        publishErased(name, std::type_index(typeid(T)), std::static_pointer_cast<void>(service));
    }

    /// The service, or nullptr when nobody published it. Throws std::logic_error when it
    /// was published with another type.
    template <class T>
    std::shared_ptr<T> find(const std::string& name) const
    {
        return std::static_pointer_cast<T>(findErased(name, std::type_index(typeid(T))));
    }

protected:
    virtual void publishErased(const std::string& name, std::type_index type,
                               std::shared_ptr<void> service) = 0;
    virtual std::shared_ptr<void> findErased(const std::string& name, std::type_index type) const = 0;
};

} // namespace comfygate
