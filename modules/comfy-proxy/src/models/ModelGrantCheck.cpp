#include "ModelGrantCheck.h"

#include "ModelGrantStore.h"
#include "comfygate/HttpError.h"

#include <Poco/JSON/Stringifier.h>

#include <algorithm>
#include <optional>
#include <sstream>

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

std::string jsonText(const Poco::JSON::Object::Ptr& object)
{
    std::ostringstream out;
    Poco::JSON::Stringifier::stringify(object, out);
    return out.str();
}

/// Where a refused model was named in the graph.
struct Finding
{
    std::string folder;
    std::string item;
    std::string nodeId;
    std::string input;
};

} // namespace

class ModelGrantCheck::Caller
{
public:
    Caller(const Principal& principal, ModelCatalog& catalog, services::ModelGrants& grants)
        : _grants(grants.activeFor(principal)), _snapshot(catalog.snapshot())
    {
    }

    /// The folder in which `value` names a model file the caller may not use; nullopt when
    /// it names no model, or one the caller may use in at least one folder holding it.
    std::optional<std::string> refusedFolder(const std::string& value) const
    {
        std::string name = value;
        std::replace(name.begin(), name.end(), '\\', '/'); // ComfyUI on Windows lists with backslashes
        const auto found = _snapshot->foldersOf.find(name);
        if (found == _snapshot->foldersOf.end())
            return std::nullopt;
        for (const auto& folder : found->second) {
            if (allowed(folder, name))
                return std::nullopt;
        }
        return *found->second.begin();
    }

    bool allowed(const std::string& folder, const std::string& item) const
    {
        return ModelGrantStore::covers(_grants, folder, item);
    }

    /// The embedding files whose name without extension is `stem` (how ComfyUI names them).
    std::vector<std::string> embeddingFiles(const std::string& stem) const
    {
        std::vector<std::string> files;
        const auto found = _snapshot->files.find("embeddings");
        if (found == _snapshot->files.end())
            return files;
        for (const auto& file : found->second) {
            if (file == stem || withoutExtension(file) == stem)
                files.push_back(file);
        }
        return files;
    }

    bool embeddingAllowed(const std::string& stem) const
    {
        const auto files = embeddingFiles(stem);
        return std::any_of(files.begin(), files.end(), [&](const auto& file) { return allowed("embeddings", file); });
    }

    const ModelCatalog::Snapshot& snapshot() const { return *_snapshot; }

private:
    std::vector<services::ModelGrant> _grants;
    std::shared_ptr<const ModelCatalog::Snapshot> _snapshot;
};

bool ModelGrantCheck::seesAll(const Principal& principal) const
{
    return !_enabled || principal.isAdmin() || principal.has("can_view_all_comfyui_items");
}

bool ModelGrantCheck::mayUse(const Principal& principal, const std::string& folder, const std::string& item)
{
    return seesAll(principal) || _grants.isAllowed(principal, folder, item);
}

namespace {

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

void ModelGrantCheck::checkPrompt(const Principal& principal, const Poco::JSON::Object::Ptr& graph)
{
    if (!graph || seesAll(principal))
        return;
    const Caller caller(principal, _catalog, _grants);
    std::optional<Finding> refused;
    for (const auto& [nodeId, node] : *graph) {
        if (refused || node.type() != typeid(Poco::JSON::Object::Ptr))
            continue;
        const auto inputs = node.extract<Poco::JSON::Object::Ptr>()->getObject("inputs");
        if (!inputs)
            continue;
        for (const auto& [input, value] : *inputs) {
            std::vector<std::string> strings;
            collectStrings(value, strings);
            for (const auto& text : strings) {
                if (const auto folder = caller.refusedFolder(text)) {
                    refused = Finding{*folder, text, nodeId, input};
                    break;
                }
                for (const auto& stem : embeddingReferences(text)) {
                    if (!caller.embeddingFiles(stem).empty() && !caller.embeddingAllowed(stem)) {
                        refused = Finding{"embeddings", stem, nodeId, input};
                        break;
                    }
                }
                if (refused)
                    break;
            }
            if (refused)
                break;
        }
    }
    if (!refused)
        return;
    Poco::JSON::Object::Ptr extra = new Poco::JSON::Object;
    extra->set("folder", refused->folder);
    extra->set("item_name", refused->item);
    extra->set("node_id", refused->nodeId);
    extra->set("input", refused->input);
    throw HttpError(403,
                    "model not allowed: " + refused->folder + "/" + refused->item + " (node " + refused->nodeId +
                        ", input " + refused->input + ") has not been shared with you",
                    "MODEL_NOT_ALLOWED")
        .withExtra(jsonText(extra));
}

Poco::JSON::Array::Ptr ModelGrantCheck::filterFolder(const Principal& principal, const std::string& folder,
                                                     const Poco::JSON::Array::Ptr& names)
{
    if (seesAll(principal))
        return names;
    const auto grants = _grants.activeFor(principal);
    Poco::JSON::Array::Ptr kept = new Poco::JSON::Array;
    for (std::size_t i = 0; names && i < names->size(); ++i) {
        const auto value = names->get(static_cast<unsigned>(i));
        if (value.isString() && ModelGrantStore::covers(grants, folder, value.convert<std::string>()))
            kept->add(value);
    }
    return kept;
}

Poco::JSON::Array::Ptr ModelGrantCheck::filterEmbeddings(const Principal& principal,
                                                         const Poco::JSON::Array::Ptr& names)
{
    if (seesAll(principal))
        return names;
    const Caller caller(principal, _catalog, _grants);
    Poco::JSON::Array::Ptr kept = new Poco::JSON::Array;
    for (std::size_t i = 0; names && i < names->size(); ++i) {
        const auto value = names->get(static_cast<unsigned>(i));
        if (value.isString() && caller.embeddingAllowed(value.convert<std::string>()))
            kept->add(value);
    }
    return kept;
}

namespace {

/// A combo's options: `[[options...], {...}]` (classic) or `["COMBO", {"options": [...]}]`.
Poco::JSON::Array::Ptr comboOptions(const Poco::JSON::Array::Ptr& spec)
{
    if (!spec || spec->size() == 0)
        return nullptr;
    if (const auto options = spec->getArray(0))
        return options;
    if (spec->size() > 1 && spec->get(0).isString() && spec->get(0).convert<std::string>() == "COMBO") {
        if (const auto config = spec->getObject(1))
            return config->getArray("options");
    }
    return nullptr;
}

} // namespace

void ModelGrantCheck::filterObjectInfo(const Principal& principal, const Poco::JSON::Object::Ptr& objectInfo)
{
    if (!objectInfo || seesAll(principal))
        return;
    const Caller caller(principal, _catalog, _grants);
    for (const auto& [className, nodeVar] : *objectInfo) {
        if (nodeVar.type() != typeid(Poco::JSON::Object::Ptr))
            continue;
        const auto input = nodeVar.extract<Poco::JSON::Object::Ptr>()->getObject("input");
        if (!input)
            continue;
        for (const char* section : {"required", "optional"}) {
            const auto inputs = input->getObject(section);
            if (!inputs)
                continue;
            for (const auto& [name, specVar] : *inputs) {
                if (specVar.type() != typeid(Poco::JSON::Array::Ptr))
                    continue;
                auto options = comboOptions(specVar.extract<Poco::JSON::Array::Ptr>());
                if (!options)
                    continue;
                for (std::size_t i = options->size(); i-- > 0;) {
                    const auto option = options->get(static_cast<unsigned>(i));
                    if (option.isString() && caller.refusedFolder(option.convert<std::string>()))
                        options->remove(static_cast<unsigned>(i));
                }
            }
        }
    }
}

} // namespace comfygate::comfyproxy
