#include "StudioCatalogImport.h"

#include <Poco/JSON/Array.h>
#include <Poco/String.h>

#include <ostream>
#include <set>

namespace comfygate::civitaicatalog {

namespace {

using Poco::JSON::Object;

std::string text(const Object::Ptr& object, const std::string& key)
{
    if (!object->has(key) || object->isNull(key))
        return {};
    return object->get(key).convert<std::string>();
}

Poco::Int64 number(const Object::Ptr& object, const std::string& key)
{
    try {
        return object->has(key) && !object->isNull(key) ? object->get(key).convert<Poco::Int64>() : 0;
    } catch (const Poco::Exception&) {
        return 0;
    }
}

/// The entry for one studio object, or the reason it cannot be one.
std::string toEntry(const Object::Ptr& model, const std::string& catalog, const std::string& category,
                    CatalogEntry& entry)
{
    entry.catalog = catalog;
    entry.category = category;
    entry.file = text(model, "file");
    entry.dest = text(model, "dest");
    if (entry.file.empty() || entry.dest.empty())
        return "no file or dest";
    entry.civitaiVersionId = number(model, "civitai_version_id");
    entry.hfRepo = text(model, "hf_repo");
    if (entry.civitaiVersionId > 0) {
        entry.source = "civitai";
        entry.civitaiModelId = number(model, "civitai_model_id");
        entry.civitaiFileId = number(model, "civitai_file_id");
    } else if (!entry.hfRepo.empty()) {
        entry.source = "huggingface";
        entry.hfFile = text(model, "hf_file");
        // Studio catalogs do not pin revisions; an imported entry follows "main" until it is
        // pinned (hf_revision set).
        entry.hfRevision = text(model, "hf_revision");
        if (entry.hfRevision.empty())
            entry.hfRevision = "main";
        if (entry.hfFile.empty())
            return "hf_repo without hf_file";
    } else {
        return "neither civitai_version_id nor hf_repo";
    }
    entry.sha256 = Poco::toLower(text(model, "hash"));
    entry.state = text(model, "state");
    if (entry.state.empty())
        entry.state = "available";
    static const std::set<std::string> states{"available", "restricted", "early_access", "archived"};
    if (!states.count(entry.state))
        return "unknown state '" + entry.state + "'";
    entry.fields = new Object(*model);
    entry.fields->set("source", entry.source);
    entry.fields->set("state", entry.state);
    return {};
}

} // namespace

StudioCatalogImport::Summary StudioCatalogImport::run(const Poco::JSON::Object::Ptr& document,
                                                      const std::string& catalog, std::ostream& out)
{
    const auto categories = document ? document->getArray("categories") : nullptr;
    if (!categories)
        throw std::invalid_argument("not a catalog file: no \"categories\" array");
    Summary summary;
    std::vector<CatalogEntry> accepted;
    std::set<std::string> keys;
    std::set<std::string> files;
    for (std::size_t i = 0; i < categories->size(); ++i) {
        const auto category = categories->getObject(static_cast<unsigned>(i));
        const auto models = category ? category->getArray("models") : nullptr;
        if (!models)
            throw std::invalid_argument("not a catalog file: category " + std::to_string(i) + " has no \"models\"");
        const std::string categoryId = text(category, "id");
        for (std::size_t j = 0; j < models->size(); ++j) {
            const auto model = models->getObject(static_cast<unsigned>(j));
            CatalogEntry entry;
            std::string reason = model ? toEntry(model, catalog, categoryId, entry) : "not an object";
            const auto sameFile = reason.empty() ? _store.byFile(entry.file) : std::nullopt;
            if (reason.empty() && (_store.byKey(entry.key()) || keys.count(entry.key())))
                reason = "already in the catalog";
            else if (reason.empty() && ((sameFile && sameFile->catalog == catalog) || files.count(entry.file)))
                reason = "a catalog entry already has this file";
            const std::string label =
                entry.file.empty() ? "entry " + std::to_string(j) + " of " + categoryId : entry.file;
            if (!reason.empty()) {
                out << "skipped  " << label << ": " << reason << '\n';
                ++summary.skipped;
                continue;
            }
            out << "imported " << label << " (" << catalog << " / " << categoryId << ")\n";
            keys.insert(entry.key());
            files.insert(entry.file);
            accepted.push_back(std::move(entry));
            ++summary.imported;
        }
    }
    if (!accepted.empty())
        _writer.put(accepted);
    return summary;
}

} // namespace comfygate::civitaicatalog
