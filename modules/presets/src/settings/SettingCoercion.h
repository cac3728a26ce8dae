#pragma once

#include "SettingField.h"

#include <Poco/Dynamic/Var.h>

#include <string>

namespace comfygate::presets {

/// A value turned into a field's canonical form, or why it cannot be.
struct Coercion
{
    bool ok = false;
    Poco::Dynamic::Var value; ///< the canonical value when ok
    std::string reason;       ///< e.g. "must be an integer", when not ok

    static Coercion accepted(Poco::Dynamic::Var value) { return {true, std::move(value), {}}; }
    static Coercion refused(std::string reason) { return {false, {}, std::move(reason)}; }
};

/// SwarmUI's settings coercion, made strict: a value arrives as JSON (from ChangeUserSettings)
/// or as text (from the configuration) and becomes the field's canonical form: bool, Int64,
/// double, std::string, or a Poco::JSON::Array::Ptr of strings. Like SwarmUI, `"5"` is an
/// integer and a list may be a JSON array or comma-separated text; unlike SwarmUI, a value that
/// does not fit is refused with a reason instead of being dropped silently.
class SettingCoercion
{
public:
    static Coercion coerce(const SettingField& field, const Poco::Dynamic::Var& input);

    /// Canonical values as stored (JSON text) and back.
    static std::string toJson(const Poco::Dynamic::Var& value);
    static Poco::Dynamic::Var fromJson(const SettingField& field, const std::string& json);

    /// Equality of two canonical values of one field (lists element by element).
    static bool same(const Poco::Dynamic::Var& a, const Poco::Dynamic::Var& b);
};

} // namespace comfygate::presets
