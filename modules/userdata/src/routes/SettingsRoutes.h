#pragma once

#include "WorkflowLibrary.h"
#include "comfygate/Route.h"

#include <Poco/JSON/Object.h>

#include <cstddef>
#include <functional>

namespace comfygate {
class HttpExchange;
}

namespace comfygate::userdata {

/// ComfyUI's settings API on the caller's own `comfy.settings.json` in the store
/// (`GET/POST /settings`, `GET/POST /settings/{id}`) and `GET /users`, which names only the
/// caller; each with its `/api` twin.
class SettingsRoutes
{
public:
    SettingsRoutes(UserFileStore& store, ChangeNotifier& notifier, std::size_t bodyLimit)
        : _store(store), _notifier(notifier), _bodyLimit(bodyLimit)
    {
    }

    void registerAll(RouteRegistry& routes);

private:
    Poco::JSON::Object::Ptr load(const std::string& userId);
    void merge(HttpExchange& exchange, const std::function<void(Poco::JSON::Object&)>& change);
    void updateSettings(const std::string& userId, const std::function<void(Poco::JSON::Object&)>& change);
    void listUsers(HttpExchange& exchange);

    UserFileStore& _store;
    ChangeNotifier& _notifier;
    std::size_t _bodyLimit;
};

} // namespace comfygate::userdata
