#include "SettingCoercion.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>
#include <Poco/NumberFormatter.h>
#include <Poco/NumberParser.h>
#include <Poco/String.h>
#include <Poco/StringTokenizer.h>

#include <cmath>
#include <sstream>

namespace comfygate::presets {
namespace {

bool isArray(const Poco::Dynamic::Var& value)
{
    return value.type() == typeid(Poco::JSON::Array::Ptr);
}

bool isObject(const Poco::Dynamic::Var& value)
{
    return value.type() == typeid(Poco::JSON::Object::Ptr);
}

/// A scalar's text: strings as they are, numbers and bools printed (SwarmUI coerces from the
/// string form); nothing for arrays, objects and null.
std::optional<std::string> scalarText(const Poco::Dynamic::Var& value)
{
    if (value.isEmpty() || isArray(value) || isObject(value))
        return std::nullopt;
    if (value.isString())
        return value.extract<std::string>();
    return value.convert<std::string>();
}

std::string number(double value)
{
    if (value == std::floor(value) && std::fabs(value) < 1e15)
        return std::to_string(static_cast<long long>(value));
    return Poco::NumberFormatter::format(value);
}

Coercion withinBounds(const SettingField& field, double value, Poco::Dynamic::Var canonical)
{
    if (field.min && value < *field.min)
        return Coercion::refused("must be at least " + number(*field.min));
    if (field.max && value > *field.max)
        return Coercion::refused("must be at most " + number(*field.max));
    return Coercion::accepted(std::move(canonical));
}

Coercion toBool(const Poco::Dynamic::Var& input)
{
    if (input.isBoolean())
        return Coercion::accepted(input.extract<bool>());
    if (input.isString()) {
        const std::string text = Poco::toLower(Poco::trim(input.extract<std::string>()));
        if (text == "true")
            return Coercion::accepted(true);
        if (text == "false")
            return Coercion::accepted(false);
    }
    return Coercion::refused("must be true or false");
}

Coercion toInteger(const SettingField& field, const Poco::Dynamic::Var& input)
{
    Poco::Int64 parsed = 0;
    if (input.isBoolean()) {
        return Coercion::refused("must be an integer");
    } else if (input.isInteger()) {
        parsed = input.convert<Poco::Int64>();
    } else if (input.isNumeric()) {
        const double value = input.convert<double>();
        if (!std::isfinite(value) || value != std::floor(value) || std::fabs(value) > 9e15)
            return Coercion::refused("must be an integer");
        parsed = static_cast<Poco::Int64>(value);
    } else if (!input.isString() || !Poco::NumberParser::tryParse64(Poco::trim(input.extract<std::string>()), parsed)) {
        return Coercion::refused("must be an integer");
    }
    return withinBounds(field, static_cast<double>(parsed), parsed);
}

Coercion toDecimal(const SettingField& field, const Poco::Dynamic::Var& input)
{
    double parsed = 0;
    if (input.isBoolean())
        return Coercion::refused("must be a number");
    if (input.isNumeric())
        parsed = input.convert<double>();
    else if (!input.isString() || !Poco::NumberParser::tryParseFloat(Poco::trim(input.extract<std::string>()), parsed))
        return Coercion::refused("must be a number");
    if (!std::isfinite(parsed))
        return Coercion::refused("must be a number");
    return withinBounds(field, parsed, parsed);
}

Coercion toText(const SettingField& field, const Poco::Dynamic::Var& input)
{
    const auto text = scalarText(input);
    if (!text)
        return Coercion::refused("must be text");
    if (text->find('\0') != std::string::npos)
        return Coercion::refused("must not contain NUL characters");
    if (text->size() > field.maxLength)
        return Coercion::refused("must be at most " + std::to_string(field.maxLength) + " characters");
    return Coercion::accepted(*text);
}

Coercion toDropdown(const SettingField& field, const Poco::Dynamic::Var& input)
{
    const auto text = scalarText(input);
    std::string allowed;
    for (const auto& value : field.values) {
        if (text && Poco::icompare(value, Poco::trim(*text)) == 0)
            return Coercion::accepted(value); // the schema's spelling, whatever case arrived
        allowed += (allowed.empty() ? "" : ", ") + value;
    }
    return Coercion::refused("must be one of: " + allowed);
}

Coercion toList(const SettingField& field, const Poco::Dynamic::Var& input)
{
    Poco::JSON::Array::Ptr items = new Poco::JSON::Array;
    std::size_t length = 0;
    auto add = [&](const std::string& item) {
        length += item.size();
        items->add(item);
    };
    if (isArray(input)) {
        const auto array = input.extract<Poco::JSON::Array::Ptr>();
        for (std::size_t i = 0; i < array->size(); ++i) {
            const auto text = scalarText(array->get(static_cast<unsigned>(i)));
            if (!text)
                return Coercion::refused("must be a list of strings or comma-separated text");
            add(*text);
        }
    } else if (input.isString()) {
        Poco::StringTokenizer parts(input.extract<std::string>(), ",",
                                    Poco::StringTokenizer::TOK_TRIM | Poco::StringTokenizer::TOK_IGNORE_EMPTY);
        for (const auto& part : parts)
            add(part);
    } else {
        return Coercion::refused("must be a list of strings or comma-separated text");
    }
    if (length > field.maxLength)
        return Coercion::refused("must be at most " + std::to_string(field.maxLength) + " characters in all");
    return Coercion::accepted(items);
}

} // namespace

Coercion SettingCoercion::coerce(const SettingField& field, const Poco::Dynamic::Var& input)
{
    if (input.isEmpty())
        return Coercion::refused("must not be null");
    switch (field.type) {
    case SettingType::Group:
        return Coercion::refused("is a group: set its fields by their dotted paths");
    case SettingType::Bool:
        return toBool(input);
    case SettingType::Integer:
        return toInteger(field, input);
    case SettingType::Decimal:
        return toDecimal(field, input);
    case SettingType::Text:
        return toText(field, input);
    case SettingType::List:
        return toList(field, input);
    case SettingType::Dropdown:
        return toDropdown(field, input);
    }
    return Coercion::refused("has an unknown type");
}

std::string SettingCoercion::toJson(const Poco::Dynamic::Var& value)
{
    std::ostringstream out;
    Poco::JSON::Stringifier::stringify(value, out);
    return out.str();
}

Poco::Dynamic::Var SettingCoercion::fromJson(const SettingField& field, const std::string& json)
{
    // Stored values were canonical when written; coercing again keeps them so if the schema
    // changed meanwhile (an int that became a decimal, a narrower range: then it is dropped).
    // Wrapped in an array: Poco's parser wants a container at the top, and values are scalars.
    Poco::Dynamic::Var parsed;
    try {
        parsed = Poco::JSON::Parser().parse("[" + json + "]").extract<Poco::JSON::Array::Ptr>()->get(0);
    } catch (const Poco::Exception&) {
        return {};
    }
    const Coercion coerced = coerce(field, parsed);
    return coerced.ok ? coerced.value : Poco::Dynamic::Var();
}

bool SettingCoercion::same(const Poco::Dynamic::Var& a, const Poco::Dynamic::Var& b)
{
    if (a.isEmpty() || b.isEmpty())
        return a.isEmpty() && b.isEmpty();
    return toJson(a) == toJson(b);
}

} // namespace comfygate::presets
