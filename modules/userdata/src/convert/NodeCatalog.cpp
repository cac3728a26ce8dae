#include "NodeCatalog.h"

#include "JsonField.h"

#include <Poco/JSON/Array.h>

#include <set>

namespace comfygate::userdata {

namespace {

const std::set<std::string> widgetTypes{"INT", "FLOAT", "STRING", "BOOLEAN", "COMBO"};
const std::vector<std::string> uploadFlags{"image_upload", "video_upload", "audio_upload", "animated_image_upload"};

bool flag(const Poco::JSON::Object::Ptr& options, const std::string& key)
{
    if (!options || !options->has(key))
        return false;
    const auto value = options->get(key);
    return value.isBoolean() ? value.extract<bool>() : (value.isNumeric() && value.convert<double>() != 0);
}

} // namespace

NodeCatalog::NodeCatalog(Poco::JSON::Object::Ptr objectInfo) : _objectInfo(std::move(objectInfo)) {}

Poco::JSON::Object::Ptr NodeCatalog::classInfo(const std::string& type) const
{
    return JsonField::object(_objectInfo, type);
}

bool NodeCatalog::knows(const std::string& type) const
{
    return !classInfo(type).isNull();
}

std::string NodeCatalog::displayName(const std::string& type) const
{
    const auto info = classInfo(type);
    const auto display = JsonField::string(info, "display_name");
    return display.empty() ? JsonField::string(info, "name", type) : display;
}

std::vector<InputSpec> NodeCatalog::inputs(const std::string& type) const
{
    std::vector<InputSpec> result;
    const auto info = classInfo(type);
    const auto input = JsonField::object(info, "input");
    const auto order = JsonField::object(info, "input_order");
    for (const char* section : {"required", "optional"})
        addSection(JsonField::object(input, section), JsonField::array(order, section), result);
    return result;
}

void NodeCatalog::addSection(const Poco::JSON::Object::Ptr& section, const Poco::JSON::Array::Ptr& order,
                             std::vector<InputSpec>& inputs)
{
    if (!section)
        return;
    std::vector<std::string> names;
    if (order) {
        for (std::size_t i = 0; i < order->size(); ++i) {
            if (order->get(i).isString())
                names.push_back(order->get(i).extract<std::string>());
        }
    } else {
        section->getNames(names);
    }
    for (const auto& name : names) {
        if (section->has(name))
            inputs.push_back(readInput(name, section->get(name)));
    }
}

InputSpec NodeCatalog::readInput(const std::string& name, const Poco::Dynamic::Var& definition)
{
    InputSpec input;
    input.name = name;
    if (definition.type() != typeid(Poco::JSON::Array::Ptr))
        return input;
    const auto spec = definition.extract<Poco::JSON::Array::Ptr>();
    if (spec->size() == 0)
        return input;
    const auto type = spec->get(0);
    if (type.type() == typeid(Poco::JSON::Array::Ptr)) {
        input.type = "COMBO";
        input.comboValues = type.extract<Poco::JSON::Array::Ptr>();
    } else if (type.isString()) {
        input.type = type.extract<std::string>();
    }
    if (spec->size() > 1 && spec->get(1).type() == typeid(Poco::JSON::Object::Ptr))
        input.options = spec->get(1).extract<Poco::JSON::Object::Ptr>();
    // The newer form ["COMBO", {"options": [...]}] keeps its values in the options.
    if (!input.comboValues)
        input.comboValues = JsonField::array(input.options, "options");
    // forceInput (and the older defaultInput) make a widget type a socket-only input.
    input.widget =
        widgetTypes.count(input.type) > 0 && !flag(input.options, "forceInput") && !flag(input.options, "defaultInput");
    return input;
}

bool NodeCatalog::controlsValue(const InputSpec& input)
{
    if (input.type != "INT" && input.type != "COMBO")
        return false;
    // An explicit option wins; without one, INT inputs named seed / noise_seed get the control.
    if (input.options && input.options->has("control_after_generate")) {
        const auto value = input.options->get("control_after_generate");
        return value.isString() ? !value.extract<std::string>().empty() : flag(input.options, "control_after_generate");
    }
    return input.type == "INT" && (input.name == "seed" || input.name == "noise_seed");
}

bool NodeCatalog::hasUpload(const InputSpec& input)
{
    for (const auto& key : uploadFlags) {
        if (flag(input.options, key))
            return true;
    }
    return false;
}

Poco::Dynamic::Var NodeCatalog::fallbackValue(const InputSpec& input)
{
    if (input.options && input.options->has("default"))
        return input.options->get("default");
    if (input.type == "COMBO") {
        const auto& values = input.comboValues;
        return values && values->size() > 0 ? values->get(0) : Poco::Dynamic::Var();
    }
    if (input.type == "INT")
        return 0;
    if (input.type == "FLOAT")
        return 0.0;
    if (input.type == "BOOLEAN")
        return false;
    return std::string();
}

std::vector<WidgetSlot> NodeCatalog::widgetSlots(const std::string& type) const
{
    const auto info = classInfo(type);
    const auto input = JsonField::object(info, "input");
    const auto order = JsonField::object(info, "input_order");
    std::vector<WidgetSlot> slots;
    for (const char* section : {"required", "optional"}) {
        std::vector<InputSpec> inputs;
        addSection(JsonField::object(input, section), JsonField::array(order, section), inputs);
        std::string uploadInput;
        for (const auto& spec : inputs) {
            if (hasUpload(spec) && uploadInput.empty())
                uploadInput = spec.name;
            if (!spec.widget)
                continue;
            slots.push_back({spec.name, spec.name, true, fallbackValue(spec)});
            if (controlsValue(spec))
                slots.push_back({"control_after_generate", spec.name, false, std::string("fixed")});
        }
        // The front end adds its upload button as one more required input, after the others.
        if (!uploadInput.empty())
            slots.push_back({"upload", uploadInput, false, std::string("image")});
    }
    return slots;
}

} // namespace comfygate::userdata
