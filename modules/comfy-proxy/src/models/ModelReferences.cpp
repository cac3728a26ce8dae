#include "ModelReferences.h"

#include <Poco/JSON/Array.h>

#include <algorithm>
#include <cctype>

namespace comfygate::comfyproxy {
namespace {

std::string withoutExtension(const std::string& name)
{
    const auto dot = name.rfind('.');
    const auto slash = name.rfind('/');
    if (dot == std::string::npos || (slash != std::string::npos && dot < slash))
        return name;
    return name.substr(0, dot);
}

/// `embedding:name` references inside prompt text (ComfyUI's tokenizer syntax).
std::vector<std::string> embeddingReferences(const std::string& text)
{
    static const std::string marker = "embedding:";
    std::vector<std::string> names;
    for (auto at = text.find(marker); at != std::string::npos; at = text.find(marker, at + 1)) {
        auto end = at + marker.size();
        while (end < text.size() && !std::isspace(static_cast<unsigned char>(text[end])) &&
               std::string(",()[]{}").find(text[end]) == std::string::npos)
            ++end;
        if (end > at + marker.size())
            names.push_back(text.substr(at + marker.size(), end - at - marker.size()));
    }
    return names;
}

/// Every string inside an input value (lists and objects of custom nodes included).
void collectStrings(const Poco::Dynamic::Var& value, std::vector<std::string>& out)
{
    if (value.isString()) {
        out.push_back(value.convert<std::string>());
    } else if (value.type() == typeid(Poco::JSON::Array::Ptr)) {
        const auto array = value.extract<Poco::JSON::Array::Ptr>();
        for (std::size_t i = 0; array && i < array->size(); ++i)
            collectStrings(array->get(static_cast<unsigned>(i)), out);
    } else if (value.type() == typeid(Poco::JSON::Object::Ptr)) {
        const auto object = value.extract<Poco::JSON::Object::Ptr>();
        for (const auto& [name, member] : *object)
            collectStrings(member, out);
    }
}

} // namespace

std::vector<std::string> embeddingFiles(const ModelCatalog::Snapshot& catalog, const std::string& stem)
{
    std::vector<std::string> files;
    const auto found = catalog.files.find("embeddings");
    if (found == catalog.files.end())
        return files;
    for (const auto& file : found->second) {
        if (file == stem || withoutExtension(file) == stem)
            files.push_back(file);
    }
    return files;
}

std::vector<ModelReference> modelReferences(const ModelCatalog::Snapshot& catalog, const Poco::JSON::Object::Ptr& graph)
{
    std::vector<ModelReference> references;
    if (!graph)
        return references;
    for (const auto& [nodeId, node] : *graph) {
        if (node.type() != typeid(Poco::JSON::Object::Ptr))
            continue;
        const auto object = node.extract<Poco::JSON::Object::Ptr>();
        const auto inputs = object->getObject("inputs");
        if (!inputs)
            continue;
        const std::string classType = object->optValue<std::string>("class_type", "");
        for (const auto& [input, value] : *inputs) {
            std::vector<std::string> strings;
            collectStrings(value, strings);
            for (const auto& text : strings) {
                std::string name = text;
                std::replace(name.begin(), name.end(), '\\', '/'); // ComfyUI on Windows lists with backslashes
                const auto found = catalog.foldersOf.find(name);
                if (found != catalog.foldersOf.end())
                    references.push_back({name, found->second, nodeId, classType, input, false});
                for (const auto& stem : embeddingReferences(text)) {
                    if (!embeddingFiles(catalog, stem).empty())
                        references.push_back({stem, {"embeddings"}, nodeId, classType, input, true});
                }
            }
        }
    }
    return references;
}

} // namespace comfygate::comfyproxy
