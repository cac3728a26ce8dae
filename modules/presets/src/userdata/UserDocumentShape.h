#pragma once

#include <Poco/JSON/Object.h>

#include <string>

namespace comfygate::presets {

/// The shapes SwarmUI's clients send for the per-user documents. SwarmUI stores whatever
/// arrives; these checks refuse anything else with a message naming the offending key, so a
/// broken or hostile client cannot store a document GetMyUserData would then serve to the UI.
class UserDocumentShape
{
public:
    /// {subtype: [model name, ...]}. Throws std::invalid_argument.
    static void checkStarredModels(const Poco::JSON::Object::Ptr& document);
    /// {subtype: {model name: [preset title, ...]}}. Throws std::invalid_argument.
    static void checkPresetLinks(const Poco::JSON::Object::Ptr& document);

private:
    static void checkStringArray(const Poco::Dynamic::Var& value, const std::string& where);
};

} // namespace comfygate::presets
