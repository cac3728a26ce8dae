#include "DownloadRoutes.h"

#include "DownloadPolicy.h"
#include "JobJson.h"
#include "comfygate/Audit.h"
#include "comfygate/HttpError.h"
#include "comfygate/HttpExchange.h"
#include "comfygate/Route.h"
#include "comfygate/ServiceRegistry.h"
#include "comfygate/services/UserDirectory.h"
#include "comfygate/services/UserSecrets.h"

#include <Poco/JSON/Array.h>

#include <algorithm>
#include <chrono>

namespace comfygate::modeldownload {
namespace {

const std::vector<std::string> knownSources{"civitai", "huggingface"};

std::int64_t unixNow()
{
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

Poco::JSON::Array::Ptr array(const std::vector<std::string>& items)
{
    Poco::JSON::Array::Ptr out = new Poco::JSON::Array;
    for (const auto& item : items)
        out->add(item);
    return out;
}

} // namespace

void DownloadRoutes::registerAll(RouteRegistry& routes)
{
    auto add = [&](const char* method, const std::string& path, const char* description,
                   void (DownloadRoutes::*handler)(HttpExchange&)) {
        auto route = RouteSpec::make(
            method, std::string(prefix) + path, Access::Permission, description,
            [this, handler](HttpExchange& e) { (this->*handler)(e); }, "can_download_models");
        route.apiTwin = true; // /api/mss-login/api/model-download/...
        route.bodyLimit = 64 * 1024;
        routes.add(route);
    };
    add("GET", "/sources", "download sources, which of them have your API key, limits and capabilities",
        &DownloadRoutes::sources);
    add("GET", "/folders", "model folders a download may target", &DownloadRoutes::folders);
    add("GET", "/api-keys", "which sources have your API key (never the keys)", &DownloadRoutes::listKeys);
    add("PUT", "/api-keys", "store or clear (empty api_key) your API key for a source", &DownloadRoutes::storeKey);
    add("POST", "/download", "queue a CivitAI or Hugging Face download", &DownloadRoutes::download);
    add("GET", "/jobs", "your download jobs, newest first, and the queue's stats", &DownloadRoutes::jobs);
    add("GET", "/jobs/{job_id}", "one of your download jobs", &DownloadRoutes::job);
    add("POST", "/jobs/{job_id}/cancel", "cancel one of your queued or running download jobs", &DownloadRoutes::cancel);
}

std::shared_ptr<services::UserSecrets> DownloadRoutes::secrets() const
{
    return _services.find<services::UserSecrets>(services::UserSecrets::serviceName);
}

std::vector<std::string> DownloadRoutes::sourcesWithKeys(const std::string& userId) const
{
    std::vector<std::string> out;
    if (const auto store = secrets()) {
        for (const auto& provider : store->providers(userId)) {
            if (std::find(knownSources.begin(), knownSources.end(), provider) != knownSources.end())
                out.push_back(provider);
        }
    }
    return out;
}

void DownloadRoutes::audit(HttpExchange& exchange, const std::string& action, const std::string& target,
                           const std::string& detailJson)
{
    _audit.record({exchange.principal().username, action, target, exchange.client().toString(), detailJson});
}

void DownloadRoutes::sources(HttpExchange& exchange)
{
    Poco::JSON::Object::Ptr limits = new Poco::JSON::Object;
    limits->set("active_total", _settings.limits.total);
    limits->set("active_civitai", _settings.limits.civitai);
    limits->set("active_huggingface", _settings.limits.huggingface);
    limits->set("queued_per_user", _settings.maxUnfinishedPerUser);
    Poco::JSON::Object::Ptr experimental = new Poco::JSON::Object;
    experimental->set("s3", _settings.s3);
    experimental->set("model_isolation", _settings.modelIsolation);
    Poco::JSON::Object::Ptr requiresKey = new Poco::JSON::Object;
    for (const auto& source : knownSources)
        requiresKey->set(source, _settings.requiresKey(source));

    Poco::JSON::Object::Ptr capabilities = new Poco::JSON::Object;
    capabilities->set("sources", array(knownSources));
    capabilities->set("destination_types", array({"local", "s3"}));
    capabilities->set("limits", limits);
    capabilities->set("experimental", experimental);
    capabilities->set("civitai_hosts", array(_settings.civitaiHosts));
    capabilities->set("default_civitai_host", _settings.civitaiHosts.front());
    capabilities->set("civitai_fields", array({"model_version_id", "type", "format", "size", "fp"}));
    capabilities->set("huggingface_fields", array({"repo_id", "filename", "subfolder"}));
    capabilities->set("requires_api_key", requiresKey);

    Poco::JSON::Object::Ptr body = new Poco::JSON::Object;
    body->set("sources", array(knownSources));
    body->set("sources_with_keys", array(sourcesWithKeys(exchange.principal().userId)));
    body->set("capabilities", capabilities);
    exchange.sendJson(200, body);
}

void DownloadRoutes::folders(HttpExchange& exchange)
{
    Poco::JSON::Object::Ptr body = new Poco::JSON::Object;
    body->set("folders", array(_settings.folders));
    body->set("default_folder", _settings.defaultFolder);
    exchange.sendJson(200, body);
}

void DownloadRoutes::listKeys(HttpExchange& exchange)
{
    Poco::JSON::Object::Ptr body = new Poco::JSON::Object;
    body->set("sources_with_keys", array(sourcesWithKeys(exchange.principal().userId)));
    exchange.sendJson(200, body);
}

void DownloadRoutes::storeKey(HttpExchange& exchange)
{
    const auto body = exchange.jsonBody();
    const std::string source = body->optValue<std::string>("source", "");
    if (std::find(knownSources.begin(), knownSources.end(), source) == knownSources.end())
        throw HttpError(400, "\"source\" must be civitai or huggingface", "invalid_request");
    if (!body->has("api_key") || !body->get("api_key").isString())
        throw HttpError(400, "\"api_key\" must be a string (empty to clear the key)", "invalid_request");
    const std::string key = body->getValue<std::string>("api_key");
    if (key.size() > 1024 || std::any_of(key.begin(), key.end(), [](unsigned char c) { return c < 0x21 || c == 0x7f; }))
        throw HttpError(400, "\"api_key\" must be one token of printable characters", "invalid_request");
    const auto store = secrets();
    if (!store)
        throw HttpError(503, "per-user API keys need the auth module, which is not loaded");

    const std::string& userId = exchange.principal().userId;
    Poco::JSON::Object::Ptr answer = new Poco::JSON::Object;
    answer->set("status", "ok");
    answer->set("source", source);
    if (key.empty()) {
        store->clear(userId, source);
        answer->set("cleared", true);
        audit(exchange, "download.api_key.clear", source);
    } else {
        store->set(userId, source, key);
        audit(exchange, "download.api_key.set", source);
    }
    exchange.sendJson(200, answer);
}

void DownloadRoutes::download(HttpExchange& exchange)
{
    const Principal& caller = exchange.principal();
    DownloadRequest request = _parser.parse(exchange.jsonBody());
    request.requester = DownloadSubject{caller.userId, caller.username, caller.role, caller.groups};

    std::string ownerId = caller.userId;
    std::string ownerName = caller.username;
    if (!request.targetUsername.empty() && request.targetUsername != caller.username) {
        if (!caller.has("can_manage_model_sharing"))
            throw HttpError(403, "downloading for another user needs can_manage_model_sharing", "forbidden");
        const auto users = _services.find<services::UserDirectory>(services::UserDirectory::serviceName);
        const auto target = users ? users->findByName(request.targetUsername) : std::nullopt;
        if (!target)
            throw HttpError(404, "unknown target_username '" + request.targetUsername + "'", "not_found");
        ownerId = target->id;
        ownerName = target->username;
    } else {
        request.targetUsername.clear();
    }

    _submission.check(request, ownerId, ownerId == caller.userId ? "you have" : ownerName + " has");
    const DownloadJob job =
        _submission.insert(request, ownerId, caller.username, exchange.client().toString());
    _submission.dispatch();

    Poco::JSON::Object::Ptr body = new Poco::JSON::Object;
    body->set("status", "queued");
    body->set("job_id", job.id);
    body->set("stats", statsToJson(_store.stats(_settings.limits)));
    exchange.sendJson(200, body);
}

void DownloadRoutes::jobs(HttpExchange& exchange)
{
    const std::int64_t now = unixNow();
    Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
    for (const auto& job : _store.listForUser(exchange.principal().userId, _settings.jobListLimit))
        list->add(jobToJson(job, now));
    Poco::JSON::Object::Ptr body = new Poco::JSON::Object;
    body->set("jobs", list);
    body->set("stats", statsToJson(_store.stats(_settings.limits)));
    exchange.sendJson(200, body);
}

DownloadJob DownloadRoutes::ownJob(HttpExchange& exchange)
{
    auto job = _store.find(exchange.param("job_id"));
    // Someone else's job looks exactly like one that does not exist.
    if (!job || job->userId != exchange.principal().userId)
        throw HttpError(404, "Job not found", "not_found");
    return std::move(*job);
}

void DownloadRoutes::job(HttpExchange& exchange)
{
    const DownloadJob job = ownJob(exchange);
    Poco::JSON::Object::Ptr body = new Poco::JSON::Object;
    body->set("job", jobToJson(job, unixNow()));
    body->set("stats", statsToJson(_store.stats(_settings.limits)));
    exchange.sendJson(200, body);
}

void DownloadRoutes::cancel(HttpExchange& exchange)
{
    const DownloadJob job = ownJob(exchange);
    switch (_store.requestCancel(job.id, job.userId, unixNow())) {
    case DownloadJobStore::CancelResult::NotFound:
        throw HttpError(404, "Job not found", "not_found");
    case DownloadJobStore::CancelResult::AlreadyFinished: {
        const auto current = _store.find(job.id);
        throw HttpError(400, std::string("the job is already ") + toString(current ? current->status : job.status),
                        "job_finished");
    }
    case DownloadJobStore::CancelResult::Cancelled:
        if (const auto current = _store.find(job.id))
            _queue.publish(*current);
        break;
    case DownloadJobStore::CancelResult::Requested:
        _queue.cancelRunning(job.id); // another instance's runner sees the flag within a second
        break;
    }
    audit(exchange, "download.cancel", job.id);
    Poco::JSON::Object::Ptr body = new Poco::JSON::Object;
    body->set("status", "ok");
    body->set("job_id", job.id);
    exchange.sendJson(200, body);
}

} // namespace comfygate::modeldownload
