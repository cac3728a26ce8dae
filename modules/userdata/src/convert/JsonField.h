#pragma once

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <string>

namespace comfygate::userdata {

/// Typed reads of the loosely typed values in a saved workflow. Every failure is a
/// WorkflowConversionError naming `what`, so hostile input never reaches a Poco cast.
class JsonField
{
public:
    /// A node or link id: litegraph saves numbers, some tools strings. Integers print without
    /// a fraction ("7", never "7.0").
    static std::string id(const Poco::Dynamic::Var& value, const std::string& what);

    /// A slot index or mode: an integral number.
    static int integer(const Poco::Dynamic::Var& value, const std::string& what);

    /// The member `key` of `object` as an object, or null when absent or of another type.
    static Poco::JSON::Object::Ptr object(const Poco::JSON::Object::Ptr& object, const std::string& key);

    /// The member `key` of `object` as an array, or null when absent or of another type.
    static Poco::JSON::Array::Ptr array(const Poco::JSON::Object::Ptr& object, const std::string& key);

    /// The member `key` of `object` as a string, or `fallback` when absent or not a string.
    static std::string string(const Poco::JSON::Object::Ptr& object, const std::string& key,
                              const std::string& fallback = "");

    /// True when `value` is absent or JSON null.
    static bool isNull(const Poco::Dynamic::Var& value);
};

} // namespace comfygate::userdata
