#include "JsonField.h"

#include "WorkflowConversionError.h"

#include <cmath>
#include <limits>

namespace comfygate::userdata {

std::string JsonField::id(const Poco::Dynamic::Var& value, const std::string& what)
{
    if (value.isString()) {
        const auto text = value.extract<std::string>();
        if (text.empty())
            throw WorkflowConversionError(what + ": empty id");
        return text;
    }
    if (value.isNumeric() && !value.isBoolean()) {
        const double number = value.convert<double>();
        if (std::isfinite(number) && std::floor(number) == number && std::fabs(number) < 9.0e15)
            return std::to_string(static_cast<long long>(number));
    }
    throw WorkflowConversionError(what + ": the id is not a number or a string");
}

int JsonField::integer(const Poco::Dynamic::Var& value, const std::string& what)
{
    if (value.isNumeric() && !value.isBoolean()) {
        const double number = value.convert<double>();
        if (std::isfinite(number) && std::floor(number) == number && number >= std::numeric_limits<int>::min() &&
            number <= std::numeric_limits<int>::max())
            return static_cast<int>(number);
    }
    // Old workflows sometimes carry slots as strings ("0"); the front end parses them too.
    if (value.isString()) {
        const auto text = value.extract<std::string>();
        std::size_t used = 0;
        try {
            const int number = std::stoi(text, &used);
            if (used == text.size())
                return number;
        } catch (const std::exception&) {
        }
    }
    throw WorkflowConversionError(what + ": expected an integer");
}

Poco::JSON::Object::Ptr JsonField::object(const Poco::JSON::Object::Ptr& object, const std::string& key)
{
    if (!object || !object->has(key))
        return nullptr;
    const auto value = object->get(key);
    return value.type() == typeid(Poco::JSON::Object::Ptr) ? value.extract<Poco::JSON::Object::Ptr>() : nullptr;
}

Poco::JSON::Array::Ptr JsonField::array(const Poco::JSON::Object::Ptr& object, const std::string& key)
{
    if (!object || !object->has(key))
        return nullptr;
    const auto value = object->get(key);
    return value.type() == typeid(Poco::JSON::Array::Ptr) ? value.extract<Poco::JSON::Array::Ptr>() : nullptr;
}

std::string JsonField::string(const Poco::JSON::Object::Ptr& object, const std::string& key,
                              const std::string& fallback)
{
    if (!object || !object->has(key))
        return fallback;
    const auto value = object->get(key);
    return value.isString() ? value.extract<std::string>() : fallback;
}

bool JsonField::isNull(const Poco::Dynamic::Var& value)
{
    return value.isEmpty();
}

} // namespace comfygate::userdata
