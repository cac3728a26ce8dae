#pragma once

#include "comfygate/Principal.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

namespace comfygate::comfyproxy {

/// Whose items a caller sees and acts on: their own, or everyone's when users are not
/// separated (comfy.separate_users off) or the caller holds can_view_all_comfyui_items.
class UserScope
{
public:
    explicit UserScope(bool separateUsers) : _separateUsers(separateUsers) {}

    bool seesEveryone(const Principal& principal) const
    {
        return !_separateUsers || principal.has("can_view_all_comfyui_items");
    }

    /// Removes the Comfy.org credentials ComfyUI versions before 0.3.68 leave in a prompt's
    /// extra_data; applied to every queue, history and job answer whatever the version.
    static void scrubApiKeys(Poco::JSON::Object::Ptr extraData)
    {
        if (!extraData)
            return;
        extraData->remove("api_key_comfy_org");
        extraData->remove("auth_token_comfy_org");
    }

    /// scrubApiKeys() on a queue item or a history entry's `prompt`:
    /// [number, prompt_id, prompt, extra_data, outputs].
    static void scrubQueueItem(const Poco::JSON::Array::Ptr& item)
    {
        if (item && item->size() >= 4)
            scrubApiKeys(item->getObject(3));
    }

private:
    bool _separateUsers;
};

} // namespace comfygate::comfyproxy
