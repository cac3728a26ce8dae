#include "CatalogActions.h"

#include "CivitaiEntryBuilder.h"
#include "ModelPlacement.h"
#include "comfygate/HttpError.h"

#include <Poco/JSON/Array.h>

#include <map>
#include <set>

namespace comfygate::civitaicatalog {

namespace {

using Poco::JSON::Object;

Object::Ptr answer(const std::string& status)
{
    Object::Ptr out = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    out->set("status", status);
    return out;
}

Object::Ptr alreadyExists(const CatalogEntry& entry)
{
    Object::Ptr out = answer("already_exists");
    out->set("file", entry.file);
    out->set("catalog", entry.catalog);
    return out;
}

std::optional<CatalogEntry> firstAvailable(const std::vector<CatalogEntry>& entries)
{
    for (const auto& entry : entries)
        if (entry.state == "available")
            return entry;
    return std::nullopt;
}

} // namespace

Object::Ptr CatalogActions::add(std::int64_t versionId, const std::string& apiKey,
                                std::optional<std::int64_t> expectedRevision)
{
    if (const auto known = firstAvailable(_store.byVersionId(versionId)))
        return alreadyExists(*known);

    // Versions recorded as restricted, early access or archived are fetched again: the
    // creator may have opened them since.
    auto built = CivitaiEntryBuilder::build(_civitai.fetch(versionId, apiKey));
    CatalogEntry& entry = built.entry;
    if (entry.state == "available" && !entry.file.empty()) {
        const auto sameFile = _store.byFile(entry.file);
        if (sameFile && sameFile->key() != entry.key() && sameFile->state == "available")
            return alreadyExists(*sameFile);
    }
    _writer.put(entry, expectedRevision);

    Object::Ptr out = answer(entry.state == "available" ? "added" : entry.state);
    if (!built.reason.empty())
        out->set("reason", built.reason);
    out->set("file", entry.file);
    out->set("name", entry.fields->getValue<std::string>("name"));
    out->set("category", entry.category);
    out->set("dest", entry.dest);
    return out;
}

Object::Ptr CatalogActions::promoteToLora(std::int64_t versionId, std::optional<std::int64_t> expectedRevision)
{
    const auto entries = _store.byVersionId(versionId);
    for (const auto& entry : entries)
        if (entry.catalog == "loras") {
            Object::Ptr out = alreadyExists(entry);
            out->set("category", entry.category);
            return out;
        }
    std::optional<CatalogEntry> inModels;
    for (const auto& entry : entries)
        if (entry.catalog == "models" && !entry.file.empty() && !inModels)
            inModels = entry;
    if (!inModels)
        throw HttpError(404, "CivitAI version " + std::to_string(versionId) + " is not in models.json", "not_found");
    CatalogEntry entry = *inModels;
    if (entry.dest != "loras" ||
        !ModelPlacement::isLoraType(entry.fields->optValue<std::string>("civitai_type", "LORA")))
        throw HttpError(400, "'" + entry.file + "' is not a LoRA (dest " + entry.dest + ")", "not_a_lora");

    entry.catalog = "loras";
    entry.category = ModelPlacement::loraBucket(entry.fields->optValue<std::string>("civitai_base_model", ""));
    _writer.put(entry, expectedRevision);
    Object::Ptr out = answer("promoted");
    out->set("file", entry.file);
    out->set("category", entry.category);
    return out;
}

Object::Ptr CatalogActions::civitaiMap()
{
    const std::int64_t revision = _store.revision();
    Object::Ptr byVersion = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    std::map<std::int64_t, std::set<std::int64_t>> versionsOfModel;
    for (const auto& entry : _store.all()) {
        if (entry.source != "civitai" || entry.civitaiVersionId == 0)
            continue;
        const std::string id = std::to_string(entry.civitaiVersionId);
        // One line per version: its available entry wins over a restricted or archived one.
        if (byVersion->has(id) && entry.state != "available")
            continue;
        Object::Ptr item = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
        item->set("file", entry.file);
        item->set("name", entry.fields->optValue<std::string>("name", entry.file));
        item->set("catalog", entry.catalog);
        item->set("category", entry.category);
        item->set("dest", entry.dest);
        item->set("state", entry.state);
        item->set("civitai_model_id", Poco::Int64(entry.civitaiModelId));
        item->set("civitai_file_id", Poco::Int64(entry.civitaiFileId));
        item->set("hash", entry.sha256);
        item->set("on_disk", _presence.onDisk(entry));
        byVersion->set(id, item);
        versionsOfModel[entry.civitaiModelId].insert(entry.civitaiVersionId);
    }
    Object::Ptr byModel = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    for (const auto& [model, versions] : versionsOfModel) {
        Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
        for (const auto version : versions)
            list->add(Poco::Int64(version));
        byModel->set(std::to_string(model), list);
    }
    Object::Ptr out = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    out->set("version", Poco::Int64(revision));
    out->set("by_version", byVersion);
    out->set("by_model", byModel);
    return out;
}

} // namespace comfygate::civitaicatalog
