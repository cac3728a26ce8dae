#include "SettingsSchema.h"

#include "SettingCoercion.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>

#include <stdexcept>

namespace comfygate::presets {
namespace {

const std::vector<std::pair<SettingType, const char*>>& typeNames()
{
    static const std::vector<std::pair<SettingType, const char*>> names{
        {SettingType::Group, "group"},      {SettingType::Bool, "bool"}, {SettingType::Integer, "integer"},
        {SettingType::Decimal, "decimal"},  {SettingType::Text, "text"}, {SettingType::List, "list"},
        {SettingType::Dropdown, "dropdown"}};
    return names;
}

std::vector<std::string> strings(const Poco::JSON::Object::Ptr& object, const std::string& name)
{
    std::vector<std::string> out;
    if (const auto array = object->getArray(name))
        for (std::size_t i = 0; i < array->size(); ++i)
            out.push_back(array->getElement<std::string>(static_cast<unsigned>(i)));
    return out;
}

std::optional<double> bound(const Poco::JSON::Object::Ptr& object, const std::string& name)
{
    if (!object->has(name))
        return std::nullopt;
    return object->getValue<double>(name);
}

void checkDefault(SettingField& field)
{
    if (field.type == SettingType::Dropdown && field.values.empty())
        return; // filled later (fillOptions), checked then
    const Coercion coerced = SettingCoercion::coerce(field, field.defaultValue);
    if (!coerced.ok)
        throw std::invalid_argument("settings schema: the default of " + field.path + " " + coerced.reason);
    field.defaultValue = coerced.value;
}

std::vector<SettingField> parseFields(const Poco::JSON::Object::Ptr& fields, const std::string& prefix)
{
    std::vector<SettingField> out;
    if (!fields)
        return out;
    for (const auto& key : fields->getNames()) { // schema order (the parser preserved it)
        const Poco::Dynamic::Var value = fields->get(key);
        SettingField field;
        field.key = key;
        field.path = prefix.empty() ? key : prefix + "." + key;
        if (key.empty() || key.find('.') != std::string::npos)
            throw std::invalid_argument("settings schema: '" + field.path + "' is not a valid key");
        if (value.type() != typeid(Poco::JSON::Object::Ptr))
            throw std::invalid_argument("settings schema: " + field.path + " must be an object");
        const auto spec = value.extract<Poco::JSON::Object::Ptr>();
        try {
            field.type = settingTypeNamed(spec->optValue<std::string>("type", ""));
        } catch (const std::invalid_argument& e) {
            throw std::invalid_argument("settings schema: " + field.path + ": " + e.what());
        }
        field.name = spec->optValue<std::string>("name", key);
        field.description = spec->optValue<std::string>("description", "");
        field.secret = spec->optValue<bool>("secret", false);
        field.restricted = spec->optValue<bool>("restricted", false);
        field.hidden = spec->optValue<bool>("hidden", false);
        if (field.type == SettingType::Group) {
            field.children = parseFields(spec->getObject("fields"), field.path);
        } else {
            field.defaultValue = spec->get("default");
            field.values = strings(spec, "values");
            field.valueNames = strings(spec, "value_names");
            if (field.valueNames.empty())
                field.valueNames = field.values;
            if (field.valueNames.size() != field.values.size())
                throw std::invalid_argument("settings schema: " + field.path + " has " +
                                            std::to_string(field.values.size()) + " values but " +
                                            std::to_string(field.valueNames.size()) + " value_names");
            field.options = spec->optValue<std::string>("options", "");
            field.min = bound(spec, "min");
            field.max = bound(spec, "max");
            field.maxLength =
                static_cast<std::size_t>(spec->optValue<int>("max_length", static_cast<int>(field.maxLength)));
            checkDefault(field);
        }
        out.push_back(std::move(field));
    }
    return out;
}

const SettingField* findIn(const std::vector<SettingField>& fields, const std::string& path)
{
    const std::size_t dot = path.find('.');
    const std::string head = path.substr(0, dot);
    for (const auto& field : fields) {
        if (field.key != head)
            continue;
        if (dot == std::string::npos)
            return &field;
        return field.type == SettingType::Group ? findIn(field.children, path.substr(dot + 1)) : nullptr;
    }
    return nullptr;
}

void collectLeaves(const std::vector<SettingField>& fields, std::vector<const SettingField*>& out)
{
    for (const auto& field : fields) {
        if (field.type == SettingType::Group)
            collectLeaves(field.children, out);
        else
            out.push_back(&field);
    }
}

void fillIn(std::vector<SettingField>& fields, const std::string& source, const std::vector<std::string>& values,
            const std::vector<std::string>& names)
{
    for (auto& field : fields) {
        fillIn(field.children, source, values, names);
        if (field.options != source)
            continue;
        field.values = values;
        field.valueNames = names;
        checkDefault(field);
    }
}

} // namespace

const char* settingTypeName(SettingType type)
{
    for (const auto& [candidate, name] : typeNames())
        if (candidate == type)
            return name;
    return "unknown";
}

SettingType settingTypeNamed(const std::string& name)
{
    for (const auto& [type, candidate] : typeNames())
        if (name == candidate)
            return type;
    throw std::invalid_argument("unknown setting type '" + name + "'");
}

SettingsSchema::SettingsSchema(const std::string& jsonText)
{
    Poco::JSON::Object::Ptr root;
    try {
        // Schema order is the order a settings page shows.
        Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true));
        root = parser.parse(jsonText).extract<Poco::JSON::Object::Ptr>();
    } catch (const Poco::Exception& e) {
        throw std::invalid_argument("settings schema: not a JSON object: " + e.displayText());
    }
    _themes = root->getObject("themes");
    if (!_themes)
        _themes = new Poco::JSON::Object;
    _fields = parseFields(root->getObject("fields"), "");
}

const SettingField* SettingsSchema::find(const std::string& path) const
{
    return findIn(_fields, path);
}

std::vector<const SettingField*> SettingsSchema::leaves() const
{
    std::vector<const SettingField*> out;
    collectLeaves(_fields, out);
    return out;
}

void SettingsSchema::fillOptions(const std::string& source, const std::vector<std::string>& values,
                                 const std::vector<std::string>& names)
{
    if (values.size() != names.size())
        throw std::invalid_argument("settings schema: options " + source + " need one name per value");
    fillIn(_fields, source, values, names);
}

} // namespace comfygate::presets
