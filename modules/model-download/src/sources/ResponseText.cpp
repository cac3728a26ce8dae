#include "ResponseText.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/String.h>

namespace comfygate::modeldownload {

std::string ResponseText::jsonField(const std::string& body, const std::string& field)
{
    if (body.empty() || body.front() != '{')
        return {};
    try {
        const auto object = Poco::JSON::Parser().parse(body).extract<Poco::JSON::Object::Ptr>();
        if (!object || !object->has(field) || object->isNull(field))
            return {};
        const Poco::Dynamic::Var value = object->get(field);
        return value.isString() || value.isNumeric() || value.isBoolean() ? value.convert<std::string>()
                                                                          : std::string();
    } catch (const Poco::Exception&) {
        return {};
    } catch (const std::exception&) {
        return {};
    }
}

std::string ResponseText::explanation(const std::string& body, std::size_t limit)
{
    std::string text = jsonField(body, "message");
    if (text.empty())
        text = jsonField(body, "error");
    if (text.empty())
        text = body;
    return printable(Poco::trim(text), limit);
}

std::string ResponseText::printable(const std::string& text, std::size_t limit)
{
    std::string result = text.substr(0, limit);
    for (char& c : result) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
            c = ' ';
    }
    if (text.size() > limit)
        result += "...";
    return result;
}

} // namespace comfygate::modeldownload
