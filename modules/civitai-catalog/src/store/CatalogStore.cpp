#include "CatalogStore.h"

#include <Poco/JSON/Parser.h>
#include <Poco/Timestamp.h>

#include <sstream>

namespace comfygate::civitaicatalog {

namespace {

const char* const columns = "catalog, category, file, dest, source, civitai_version_id, civitai_model_id, "
                            "civitai_file_id, hf_repo, hf_file, hf_revision, sha256, state, entry_json";

CatalogEntry fromRow(const Database::Row& row)
{
    CatalogEntry entry;
    entry.catalog = row[0].convert<std::string>();
    entry.category = row[1].convert<std::string>();
    entry.file = row[2].convert<std::string>();
    entry.dest = row[3].convert<std::string>();
    entry.source = row[4].convert<std::string>();
    entry.civitaiVersionId = row[5].convert<Poco::Int64>();
    entry.civitaiModelId = row[6].convert<Poco::Int64>();
    entry.civitaiFileId = row[7].convert<Poco::Int64>();
    entry.hfRepo = row[8].convert<std::string>();
    entry.hfFile = row[9].convert<std::string>();
    entry.hfRevision = row[10].convert<std::string>();
    entry.sha256 = row[11].convert<std::string>();
    entry.state = row[12].convert<std::string>();
    entry.fields = Poco::JSON::Parser().parse(row[13].convert<std::string>()).extract<Poco::JSON::Object::Ptr>();
    return entry;
}

std::string jsonText(const Poco::JSON::Object::Ptr& object)
{
    std::ostringstream out;
    object->stringify(out);
    return out.str();
}

} // namespace

std::int64_t CatalogStore::revision()
{
    const auto rows = _db.select("SELECT version FROM catalog_revision WHERE id = 1", {});
    return rows.empty() ? 0 : rows.front()[0].convert<Poco::Int64>();
}

std::vector<CatalogEntry> CatalogStore::query(const std::string& where, const std::vector<Poco::Dynamic::Var>& params)
{
    std::vector<CatalogEntry> entries;
    for (const auto& row : _db.select(std::string("SELECT ") + columns + " FROM catalog_entries " + where, params))
        entries.push_back(fromRow(row));
    return entries;
}

std::vector<CatalogEntry> CatalogStore::all()
{
    return query("ORDER BY catalog, category, file, entry_key", {});
}

std::optional<CatalogEntry> CatalogStore::byKey(const std::string& key)
{
    auto found = query("WHERE entry_key = ?", {key});
    return found.empty() ? std::nullopt : std::optional(found.front());
}

std::vector<CatalogEntry> CatalogStore::byVersionId(std::int64_t versionId)
{
    return query("WHERE civitai_version_id = ? ORDER BY CASE WHEN state = 'available' THEN 0 ELSE 1 END, entry_key",
                 {Poco::Int64(versionId)});
}

std::optional<CatalogEntry> CatalogStore::byFile(const std::string& file)
{
    auto found = query("WHERE file = ? ORDER BY entry_key", {file});
    return found.empty() ? std::nullopt : std::optional(found.front());
}

std::optional<CatalogEntry> CatalogStore::bySha256Prefix(const std::string& lowerHex)
{
    if (lowerHex.empty())
        return std::nullopt;
    // Hashes are stored lower-case hex; the prefix is checked by the caller to be hex only.
    auto found = query("WHERE sha256 LIKE ? ORDER BY entry_key", {lowerHex + "%"});
    return found.empty() ? std::nullopt : std::optional(found.front());
}

std::int64_t CatalogStore::put(const std::vector<CatalogEntry>& entries, std::optional<std::int64_t> expected)
{
    std::int64_t next = 0;
    _db.write([&](Poco::Data::Session&) {
        // The UPDATE first: on PostgreSQL it locks the revision row, so two writers serialize.
        _db.execute("UPDATE catalog_revision SET version = version + 1 WHERE id = 1", {});
        next = revision();
        if (expected && *expected != next - 1)
            throw StaleRevision(next - 1);
        for (const auto& entry : entries) {
            const std::string key = entry.key();
            _db.execute("DELETE FROM catalog_entries WHERE entry_key = ?", {key});
            _db.execute("INSERT INTO catalog_entries (entry_key, catalog, category, file, dest, source, "
                        "civitai_version_id, civitai_model_id, civitai_file_id, hf_repo, hf_file, hf_revision, sha256, "
                        "state, entry_json, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        {key, entry.catalog, entry.category, entry.file, entry.dest, entry.source,
                         Poco::Int64(entry.civitaiVersionId), Poco::Int64(entry.civitaiModelId),
                         Poco::Int64(entry.civitaiFileId), entry.hfRepo, entry.hfFile, entry.hfRevision, entry.sha256,
                         entry.state, jsonText(entry.fields),
                         Poco::Int64(Poco::Timestamp().epochMicroseconds() / 1000)});
        }
    });
    return next;
}

} // namespace comfygate::civitaicatalog
