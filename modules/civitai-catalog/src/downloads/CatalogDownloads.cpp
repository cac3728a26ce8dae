#include "CatalogDownloads.h"

#include "comfygate/HttpError.h"
#include "comfygate/services/ModelDownloads.h"

#include <Poco/String.h>
#include <Poco/Timestamp.h>

namespace comfygate::civitaicatalog {

namespace {

using Poco::JSON::Object;

services::ModelDownloadOrder orderFor(const CatalogEntry& entry, const Principal& caller, const std::string& client)
{
    services::ModelDownloadOrder order;
    order.userId = caller.userId;
    order.username = caller.username;
    order.role = caller.role;
    order.groups = caller.groups;
    order.clientAddress = client;
    order.source = entry.source;
    order.folder = entry.dest;
    if (entry.source == "civitai") {
        order.civitaiVersionId = std::to_string(entry.civitaiVersionId);
        order.civitaiFileType = entry.fields->optValue<std::string>("civitai_file_type", "");
        order.civitaiFormat = entry.fields->optValue<std::string>("civitai_format", "");
        order.civitaiSize = entry.fields->optValue<std::string>("civitai_size", "");
        order.civitaiFp = entry.fields->optValue<std::string>("civitai_fp", "");
    } else {
        order.hfRepo = entry.hfRepo;
        order.hfFile = entry.hfFile;
        order.hfRevision = entry.hfRevision;
    }
    return order;
}

} // namespace

Poco::JSON::Object::Ptr CatalogDownloads::queue(const std::string& file, const Principal& caller,
                                                const std::string& client)
{
    const auto entry = _store.byFile(file);
    if (!entry)
        throw HttpError(404, "no catalog entry has the file '" + file + "'", "not_found");
    if (entry->state != "available")
        throw HttpError(409, "'" + file + "' is " + entry->state + " on CivitAI: it cannot be downloaded",
                        "not_downloadable");
    Object::Ptr answer = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    answer->set("file", file);
    if (_presence.onDisk(*entry)) {
        answer->set("status", "present");
        return answer;
    }
    const auto downloads = _services.find<services::ModelDownloads>(services::ModelDownloads::serviceName);
    if (!downloads)
        throw HttpError(503, "downloads need the model-download module (modules.enabled)", "unavailable");
    const std::string jobId = downloads->enqueue(orderFor(*entry, caller, client));
    _db.write([&](Poco::Data::Session&) {
        _db.execute("DELETE FROM catalog_downloads WHERE file = ?", {file});
        _db.execute(
            "INSERT INTO catalog_downloads (file, entry_key, job_id, user_id, queued_at) VALUES (?, ?, ?, ?, ?)",
            {file, entry->key(), jobId, caller.userId, Poco::Int64(Poco::Timestamp().epochMicroseconds() / 1000)});
    });
    answer->set("status", "queued");
    answer->set("job_id", jobId);
    return answer;
}

Poco::JSON::Object::Ptr CatalogDownloads::statuses()
{
    Object::Ptr all = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    const auto downloads = _services.find<services::ModelDownloads>(services::ModelDownloads::serviceName);
    for (const auto& row : _db.select("SELECT file, entry_key, job_id FROM catalog_downloads ORDER BY file", {})) {
        const std::string file = row[0].convert<std::string>();
        const auto job = downloads ? downloads->status(row[2].convert<std::string>()) : std::nullopt;
        Object::Ptr item = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
        std::string status = job ? job->status : "error";
        std::string error = job ? job->error : "the download job is gone";
        if (job && status == "done") {
            const auto entry = _store.byKey(row[1].convert<std::string>());
            const std::string expected = entry ? entry->sha256 : "";
            if (!expected.empty() && Poco::toLower(job->sha256) != expected) {
                status = "error";
                error = "SHA-256 " + job->sha256 + " is not the catalog's " + expected;
            }
        }
        item->set("status", status);
        item->set("bytes", Poco::Int64(job ? job->bytes : 0));
        item->set("total", Poco::Int64(job ? job->total : -1));
        item->set("speed", job ? job->speed : 0.0);
        item->set("error", error.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(error));
        all->set(file, item);
    }
    return all;
}

} // namespace comfygate::civitaicatalog
