#include "PythonFormat.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <cmath>
#include <cstdio>

namespace comfygate::fakes {

namespace {

std::string quote(const std::string& text)
{
    const bool useDouble = text.find('\'') != std::string::npos && text.find('"') == std::string::npos;
    const char q = useDouble ? '"' : '\'';
    std::string out(1, q);
    for (char c : text) {
        if (c == '\\' || c == q) out += '\\';
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
    }
    out += q;
    return out;
}

} // namespace

std::string PythonFormat::floatRepr(double value)
{
    if (std::isnan(value)) return "nan";
    if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
    char buffer[64];
    for (int precision = 1; precision <= 17; ++precision) {
        std::snprintf(buffer, sizeof buffer, "%.*g", precision, value);
        if (std::strtod(buffer, nullptr) == value) break;
    }
    std::string text(buffer);
    if (text.find_first_of(".en") == std::string::npos) text += ".0";
    return text;
}

std::string PythonFormat::str(const Poco::Dynamic::Var& value)
{
    if (value.isString()) return value.extract<std::string>();
    return repr(value);
}

std::string PythonFormat::repr(const Poco::Dynamic::Var& value)
{
    if (value.isEmpty()) return "None";
    if (value.type() == typeid(bool)) return value.extract<bool>() ? "True" : "False";
    if (value.isString()) return quote(value.extract<std::string>());
    if (value.type() == typeid(double) || value.type() == typeid(float))
        return floatRepr(value.convert<double>());
    if (value.isInteger()) return value.convert<std::string>();
    if (value.type() == typeid(Poco::JSON::Array::Ptr)) {
        auto array = value.extract<Poco::JSON::Array::Ptr>();
        std::string out = "[";
        for (std::size_t i = 0; i < array->size(); ++i) {
            if (i) out += ", ";
            out += repr(array->get(i));
        }
        return out + "]";
    }
    if (value.type() == typeid(Poco::JSON::Object::Ptr)) {
        auto object = value.extract<Poco::JSON::Object::Ptr>();
        std::string out = "{";
        bool first = true;
        for (const auto& key : object->getNames()) {
            if (!first) out += ", ";
            first = false;
            out += quote(key) + ": " + repr(object->get(key));
        }
        return out + "}";
    }
    return value.convert<std::string>();
}

} // namespace comfygate::fakes
