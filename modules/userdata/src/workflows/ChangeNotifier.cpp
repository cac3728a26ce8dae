#include "ChangeNotifier.h"

#include "UserFileStore.h"

#include <Poco/JSON/Object.h>

#include <sstream>

namespace comfygate::userdata {

void ChangeNotifier::changed(const std::string& owner, const std::string& action, const std::string& path,
                             const std::optional<std::string>& to)
{
    if (!_events)
        return;
    const bool global = owner == UserFileStore::globalOwner;
    Poco::JSON::Object data(Poco::JSON_PRESERVE_KEY_ORDER);
    data.set("path", path);
    data.set("action", action);
    if (to)
        data.set("to", *to);
    data.set("source", global ? "global" : "user");
    std::ostringstream json;
    data.stringify(json);
    _events->publish({"userdata_changed", json.str(), global ? Audience::everyone() : Audience::user(owner)});
}

} // namespace comfygate::userdata
