#pragma once

#include "comfygate/EventBus.h"

#include <optional>
#include <string>

namespace comfygate::userdata {

/// Tells the owner's WebSockets (everyone's, for a global workflow) that a file changed, as
/// `userdata_changed`, so another open tab can refresh its workflow list.
class ChangeNotifier
{
public:
    explicit ChangeNotifier(EventBus* events) : _events(events) {}

    /// `owner` is a user id, or UserFileStore::globalOwner.
    void changed(const std::string& owner, const std::string& action, const std::string& path,
                 const std::optional<std::string>& to = std::nullopt);

private:
    EventBus* _events;
};

} // namespace comfygate::userdata
