#include "WidgetValues.h"

#include <Poco/JSON/Array.h>

namespace comfygate::userdata {

Poco::JSON::Object::Ptr WidgetValues::promptInputs(const std::vector<WidgetSlot>& slots,
                                                   const Poco::Dynamic::Var& widgetsValues)
{
    Poco::JSON::Object::Ptr inputs = new Poco::JSON::Object;
    const bool byName = widgetsValues.type() == typeid(Poco::JSON::Object::Ptr);
    const auto named = byName ? widgetsValues.extract<Poco::JSON::Object::Ptr>() : nullptr;
    const auto list = widgetsValues.type() == typeid(Poco::JSON::Array::Ptr)
                          ? widgetsValues.extract<Poco::JSON::Array::Ptr>()
                          : nullptr;
    for (std::size_t i = 0; i < slots.size(); ++i) {
        const auto& slot = slots[i];
        if (!slot.sentToPrompt)
            continue;
        Poco::Dynamic::Var value = slot.fallback;
        if (named && named->has(slot.name))
            value = named->get(slot.name);
        else if (list && i < list->size())
            value = list->get(i);
        inputs->set(slot.name, boxed(value));
    }
    return inputs;
}

Poco::Dynamic::Var WidgetValues::at(const Poco::Dynamic::Var& widgetsValues, std::size_t index)
{
    if (widgetsValues.type() != typeid(Poco::JSON::Array::Ptr))
        return {};
    const auto list = widgetsValues.extract<Poco::JSON::Array::Ptr>();
    return index < list->size() ? list->get(index) : Poco::Dynamic::Var();
}

Poco::Dynamic::Var WidgetValues::boxed(const Poco::Dynamic::Var& value)
{
    if (value.type() != typeid(Poco::JSON::Array::Ptr))
        return value;
    Poco::JSON::Object::Ptr box = new Poco::JSON::Object;
    box->set("__value__", value);
    return box;
}

} // namespace comfygate::userdata
