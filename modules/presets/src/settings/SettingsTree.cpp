#include "SettingsTree.h"

#include <Poco/JSON/Array.h>

namespace comfygate::presets {
namespace {

Poco::Dynamic::Var shown(const SettingField& field, const Poco::Dynamic::Var& value)
{
    if (field.secret)
        return std::string(value.isEmpty() || value.convert<std::string>().empty() ? "" : UserSettings::secretSentinel);
    if (field.type != SettingType::List || value.type() != typeid(Poco::JSON::Array::Ptr))
        return value;
    const auto items = value.extract<Poco::JSON::Array::Ptr>();
    std::string joined;
    for (std::size_t i = 0; i < items->size(); ++i)
        joined += (i ? " || " : "") + items->getElement<std::string>(static_cast<unsigned>(i));
    return joined;
}

Poco::JSON::Array::Ptr arrayOf(const std::vector<std::string>& items)
{
    Poco::JSON::Array::Ptr array = new Poco::JSON::Array;
    for (const auto& item : items)
        array->add(item);
    return array;
}

Poco::JSON::Object::Ptr renderFields(const UserSettings& settings, const std::vector<SettingField>& fields,
                                     const std::map<std::string, Poco::Dynamic::Var>& values, bool seeRestricted)
{
    Poco::JSON::Object::Ptr tree = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    for (const auto& field : fields) {
        if (field.hidden || (field.restricted && !seeRestricted))
            continue;
        Poco::JSON::Object::Ptr entry = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
        entry->set("type", std::string(settingTypeName(field.type)));
        entry->set("name", field.name);
        if (field.type == SettingType::Group) {
            entry->set("value", renderFields(settings, field.children, values, seeRestricted));
            entry->set("description", field.description);
        } else {
            const auto value = values.find(field.path);
            entry->set("value", shown(field, value == values.end() ? settings.defaultOf(field) : value->second));
            entry->set("description", field.description);
            const bool dropdown = field.type == SettingType::Dropdown;
            entry->set("values", dropdown ? Poco::Dynamic::Var(arrayOf(field.values)) : Poco::Dynamic::Var());
            entry->set("value_names", dropdown ? Poco::Dynamic::Var(arrayOf(field.valueNames)) : Poco::Dynamic::Var());
            entry->set("is_secret", field.secret);
            entry->set("default_value", shown(field, settings.defaultOf(field)));
        }
        tree->set(field.key, entry);
    }
    return tree;
}

} // namespace

Poco::JSON::Object::Ptr SettingsTree::render(const UserSettings& settings,
                                             const std::map<std::string, Poco::Dynamic::Var>& values,
                                             bool seeRestricted)
{
    return renderFields(settings, settings.schema().fields(), values, seeRestricted);
}

} // namespace comfygate::presets
