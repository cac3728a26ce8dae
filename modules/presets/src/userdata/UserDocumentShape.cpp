#include "UserDocumentShape.h"

#include <Poco/JSON/Array.h>

#include <stdexcept>

namespace comfygate::presets {

void UserDocumentShape::checkStringArray(const Poco::Dynamic::Var& value, const std::string& where)
{
    if (value.type() != typeid(Poco::JSON::Array::Ptr))
        throw std::invalid_argument(where + " must be an array of strings");
    const auto array = value.extract<Poco::JSON::Array::Ptr>();
    for (std::size_t i = 0; i < array->size(); ++i)
        if (!array->get(i).isString())
            throw std::invalid_argument(where + "[" + std::to_string(i) + "] must be a string");
}

void UserDocumentShape::checkStarredModels(const Poco::JSON::Object::Ptr& document)
{
    for (const auto& [subtype, names] : *document)
        checkStringArray(names, "'" + subtype + "'");
}

void UserDocumentShape::checkPresetLinks(const Poco::JSON::Object::Ptr& document)
{
    for (const auto& [subtype, models] : *document) {
        if (models.type() != typeid(Poco::JSON::Object::Ptr))
            throw std::invalid_argument("'" + subtype + "' must be an object of model name -> preset titles");
        for (const auto& [model, titles] : *models.extract<Poco::JSON::Object::Ptr>())
            checkStringArray(titles, "'" + subtype + "'.'" + model + "'");
    }
}

} // namespace comfygate::presets
