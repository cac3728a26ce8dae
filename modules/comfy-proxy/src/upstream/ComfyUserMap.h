#pragma once

#include "UpstreamClient.h"
#include "comfygate/Database.h"
#include "comfygate/Principal.h"

#include <map>
#include <mutex>
#include <string>

namespace comfygate::comfyproxy {

/// Gateway user → ComfyUI user (comfy.multi_user). ComfyUI's POST /users chooses the id
/// itself (`<name>_<uuid>`), so the gateway creates one ComfyUI user per gateway user the
/// first time it is needed, named `cg-<user id>`, and records the id in `comfy_users`.
/// When the record was lost but ComfyUI still has the user, the id is found again by name.
class ComfyUserMap
{
public:
    ComfyUserMap(UpstreamClient& upstream, Database& database) : _upstream(upstream), _database(database) {}

    /// The ComfyUI user id that holds this principal's userdata and settings; throws
    /// HttpError(502) when ComfyUI cannot create it.
    std::string comfyUserFor(const Principal& principal);

private:
    std::string lookUpstreamByName(const std::string& name);
    std::string createUpstream(const std::string& name);

    UpstreamClient& _upstream;
    Database& _database;
    std::mutex _mutex; ///< one creation at a time, and the cache
    std::map<std::string, std::string> _cache;
};

} // namespace comfygate::comfyproxy
