#pragma once

#include "CatalogEntry.h"
#include "comfygate/Database.h"

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace comfygate::civitaicatalog {

/// Thrown when a change names an If-Match revision that is no longer the current one.
class StaleRevision : public std::runtime_error
{
public:
    explicit StaleRevision(std::int64_t current)
        : std::runtime_error("the catalog changed: its version is now " + std::to_string(current)), current(current)
    {
    }
    std::int64_t current;
};

/// The catalog in the database (tables catalog_entries and catalog_revision, sql/001).
/// Every change increments the one revision the three export files share.
class CatalogStore
{
public:
    explicit CatalogStore(Database& database) : _db(database) {}

    std::int64_t revision();
    std::vector<CatalogEntry> all();
    std::optional<CatalogEntry> byKey(const std::string& key);
    /// Entries of a CivitAI version (one per file), available ones first.
    std::vector<CatalogEntry> byVersionId(std::int64_t versionId);
    std::optional<CatalogEntry> byFile(const std::string& file);
    /// Full SHA-256 or a prefix of it (CivitAI's AutoV2 is the first 10 hex digits).
    std::optional<CatalogEntry> bySha256Prefix(const std::string& lowerHex);

    /// Inserts or replaces the entry (by key()) and increments the revision. `expected`: the
    /// revision the caller saw (If-Match); StaleRevision when it is no longer current.
    /// @return the new revision
    std::int64_t put(const CatalogEntry& entry, std::optional<std::int64_t> expected = std::nullopt)
    {
        return put(std::vector<CatalogEntry>{entry}, expected);
    }
    /// Several entries as one change: one transaction, one new revision.
    std::int64_t put(const std::vector<CatalogEntry>& entries, std::optional<std::int64_t> expected = std::nullopt);

private:
    std::vector<CatalogEntry> query(const std::string& where, const std::vector<Poco::Dynamic::Var>& params);

    Database& _db;
};

} // namespace comfygate::civitaicatalog
