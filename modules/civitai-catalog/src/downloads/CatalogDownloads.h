#pragma once

#include "CatalogPresence.h"
#include "CatalogStore.h"
#include "comfygate/Database.h"
#include "comfygate/Principal.h"
#include "comfygate/ServiceRegistry.h"

#include <Poco/JSON/Object.h>

#include <string>

namespace comfygate::civitaicatalog {

/// Downloads of catalog entries on model-download's queue ("downloads.queue"): the file's
/// source pinned from the entry (CivitAI version + file selectors, Hugging Face revision),
/// the job remembered per file (catalog_downloads), and the status the SSE route reports,
/// where a finished file whose SHA-256 is not the entry's counts as an error.
class CatalogDownloads
{
public:
    CatalogDownloads(Database& database, CatalogStore& store, CatalogPresence& presence, ServiceRegistry& services)
        : _db(database), _store(store), _presence(presence), _services(services)
    {
    }

    /// `{"status":"queued","file","job_id"}` or `{"status":"present","file"}` (already on
    /// disk with the right hash). HttpError 404 unknown file, 409 entry not downloadable
    /// (restricted, early access, archived), 503 without model-download, and the queue's
    /// own refusals (400, 403, 429).
    Poco::JSON::Object::Ptr queue(const std::string& file, const Principal& caller, const std::string& client);

    /// `{file: {status, bytes, total, speed, error}}` of every remembered download.
    Poco::JSON::Object::Ptr statuses();

private:
    Database& _db;
    CatalogStore& _store;
    CatalogPresence& _presence;
    ServiceRegistry& _services;
};

} // namespace comfygate::civitaicatalog
