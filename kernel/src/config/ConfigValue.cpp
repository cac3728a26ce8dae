#include "ConfigValue.h"

#include <Poco/NumberParser.h>
#include <Poco/String.h>

#include <stdexcept>

namespace comfygate {

std::string ConfigValue::describe(const std::string& key, const std::string& source,
                                  const std::string& problem)
{
    std::string message = "configuration key " + key;
    if (!source.empty() && source != "default")
        message += " (from " + source + ")";
    return message + ": " + problem;
}

std::string ConfigValue::trim(const std::string& text) { return Poco::trim(text); }

bool ConfigValue::toBool(const std::string& key, const std::string& text, const std::string& source)
{
    const std::string value = Poco::toLower(trim(text));
    if (value == "true" || value == "yes" || value == "on" || value == "1")
        return true;
    if (value == "false" || value == "no" || value == "off" || value == "0")
        return false;
    throw std::invalid_argument(
        describe(key, source, "'" + text + "' is not a boolean (use true or false)"));
}

long long ConfigValue::toInt(const std::string& key, const std::string& text, const std::string& source)
{
    Poco::Int64 value = 0;
    if (trim(text).find(',') != std::string::npos || !Poco::NumberParser::tryParse64(trim(text), value))
        throw std::invalid_argument(describe(key, source, "'" + text + "' is not a whole number"));
    return value;
}

double ConfigValue::toDouble(const std::string& key, const std::string& text, const std::string& source)
{
    double value = 0;
    if (trim(text).find(',') != std::string::npos || !Poco::NumberParser::tryParseFloat(trim(text), value))
        throw std::invalid_argument(describe(key, source, "'" + text + "' is not a number"));
    return value;
}

std::vector<std::string> ConfigValue::toList(const std::string& text)
{
    std::vector<std::string> items;
    std::string::size_type start = 0;
    while (start <= text.size()) {
        const auto comma = text.find(',', start);
        const auto end = comma == std::string::npos ? text.size() : comma;
        std::string item = trim(text.substr(start, end - start));
        if (!item.empty())
            items.push_back(std::move(item));
        if (comma == std::string::npos)
            break;
        start = comma + 1;
    }
    return items;
}

} // namespace comfygate
