#include "ModelGrantCheck.h"

#include "ModelGrantStore.h"
#include "ModelReferences.h"
#include "comfygate/HttpError.h"

#include <Poco/JSON/Stringifier.h>

#include <algorithm>
#include <optional>
#include <set>
#include <sstream>

namespace comfygate::comfyproxy {
namespace {

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
        return refusedFolder(name, found->second);
    }

    /// The first of `folders` when the caller may use `name` in none of them.
    std::optional<std::string> refusedFolder(const std::string& name, const std::set<std::string>& folders) const
    {
        for (const auto& folder : folders) {
            if (allowed(folder, name))
                return std::nullopt;
        }
        return *folders.begin();
    }

    bool allowed(const std::string& folder, const std::string& item) const
    {
        return ModelGrantStore::covers(_grants, folder, item);
    }

    bool embeddingAllowed(const std::string& stem) const
    {
        const auto files = embeddingFiles(*_snapshot, stem);
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

void ModelGrantCheck::checkPrompt(const Principal& principal, const Poco::JSON::Object::Ptr& graph)
{
    if (!graph || seesAll(principal))
        return;
    const Caller caller(principal, _catalog, _grants);
    std::optional<Finding> refused;
    for (const auto& reference : modelReferences(caller.snapshot(), graph)) {
        if (reference.embedding) {
            if (!caller.embeddingAllowed(reference.name))
                refused = Finding{"embeddings", reference.name, reference.nodeId, reference.input};
        } else if (const auto folder = caller.refusedFolder(reference.name, reference.folders)) {
            refused = Finding{*folder, reference.name, reference.nodeId, reference.input};
        }
        if (refused)
            break;
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
