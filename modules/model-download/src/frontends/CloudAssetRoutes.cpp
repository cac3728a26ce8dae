#include "CloudAssetRoutes.h"

#include "comfygate/HttpClient.h"
#include "comfygate/HttpError.h"
#include "comfygate/HttpExchange.h"
#include "comfygate/Route.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Stringifier.h>
#include <Poco/RegularExpression.h>
#include <Poco/UUIDGenerator.h>

#include <chrono>
#include <sstream>

namespace comfygate::modeldownload {
namespace {

constexpr std::size_t maxTags = 32;
constexpr std::size_t maxTagLength = 128;

HttpError unprocessable(const std::string& message)
{
    return HttpError(422, message, "validation_error");
}

std::int64_t unixNow()
{
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string stringify(const Poco::Dynamic::Var& value)
{
    std::ostringstream out;
    Poco::JSON::Stringifier::stringify(value, out);
    return out.str();
}

} // namespace

void CloudAssetRoutes::registerAll(RouteRegistry& routes)
{
    auto add = [&](const char* method, const char* pattern, const char* description,
                   void (CloudAssetRoutes::*handler)(HttpExchange&)) {
        auto route = RouteSpec::make(
            method, pattern, Access::Permission, description, [this, handler](HttpExchange& e) { (this->*handler)(e); },
            "can_download_models");
        route.errorStyle = ErrorStyle::ComfyCloud;
        route.bodyLimit = 64 * 1024;
        routes.add(route);
    };
    add("POST", "/api/assets/download",
        "import a model from a CivitAI or Hugging Face URL (Comfy Cloud): 200 asset or 202 task",
        &CloudAssetRoutes::download);
    add("GET", "/api/tasks/{task_id}", "one of your asset download tasks (Comfy Cloud)", &CloudAssetRoutes::task);
    add("DELETE", "/api/tasks/{task_id}", "cancel one of your queued or running asset download tasks",
        &CloudAssetRoutes::cancel);
}

std::string CloudAssetRoutes::folderFromTags(const Poco::JSON::Array::Ptr& tags) const
{
    if (tags) {
        for (std::size_t i = 0; i < tags->size(); ++i) {
            const std::string tag = tags->getElement<std::string>(i);
            if (_parser.isModelFolder(tag))
                return tag;
        }
    }
    return _settings.defaultFolder;
}

void CloudAssetRoutes::download(HttpExchange& exchange)
{
    const Principal& caller = exchange.principal();
    const auto body = exchange.jsonBody();
    if (!body->has("source_url") || !body->get("source_url").isString())
        throw HttpError(400, "\"source_url\" is required: a CivitAI or Hugging Face URL", "invalid_source_url");

    Poco::JSON::Array::Ptr tags = new Poco::JSON::Array;
    if (body->has("tags") && !body->isNull("tags")) {
        if (!body->isArray("tags"))
            throw unprocessable("\"tags\" must be an array of strings");
        tags = body->getArray("tags");
        if (tags->size() > maxTags)
            throw unprocessable("at most " + std::to_string(maxTags) + " tags");
        for (std::size_t i = 0; i < tags->size(); ++i) {
            const auto tag = tags->get(i);
            if (!tag.isString() || tag.convert<std::string>().empty() ||
                tag.convert<std::string>().size() > maxTagLength)
                throw unprocessable("\"tags\" must be non-empty strings of at most " + std::to_string(maxTagLength) +
                                    " characters");
        }
    }
    Poco::JSON::Object::Ptr metadata = new Poco::JSON::Object;
    if (body->has("user_metadata") && !body->isNull("user_metadata")) {
        if (!body->isObject("user_metadata"))
            throw unprocessable("\"user_metadata\" must be an object");
        metadata = body->getObject("user_metadata");
    }
    std::string previewId;
    if (body->has("preview_id") && !body->isNull("preview_id")) {
        static const Poco::RegularExpression uuid(
            "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$");
        if (!body->get("preview_id").isString() || !uuid.match(body->getValue<std::string>("preview_id")))
            throw unprocessable("\"preview_id\" must be a UUID");
        previewId = body->getValue<std::string>("preview_id");
    }

    const std::string sourceUrl = body->getValue<std::string>("source_url");
    Poco::JSON::Object::Ptr mssBody = _sourceUrl.toDownloadBody(sourceUrl);
    mssBody->set("folder_type", folderFromTags(tags));
    DownloadRequest request = _parser.parse(mssBody);
    request.requester = DownloadSubject{caller.userId, caller.username, caller.role, caller.groups};
    _submission.check(request, caller.userId);

    std::optional<PresentFiles::Found> found;
    try {
        found = _present.find(request, caller.userId, _submission.apiKey(caller.userId, request.source).value_or(""));
    } catch (const DownloadRefused& refused) {
        throw HttpError(422, refused.what(), "download_refused");
    } catch (const std::exception& error) {
        // Unreachable right now: queue it; the runner retries and reports.
        _logger.information("asset import: %s not checked before queueing: %s", SourceUrl::withoutSecrets(sourceUrl),
                            std::string(error.what()));
    }

    if (found) {
        const std::string path = found->path.lexically_relative(_settings.modelsDir).generic_string();
        auto existing = _assets.findAsset(caller.userId, path, found->sha256);
        const bool createdNew = !existing;
        if (!existing) {
            AssetRecord asset;
            asset.id = Poco::UUIDGenerator::defaultGenerator().createRandom().toString();
            asset.userId = caller.userId;
            asset.name = found->fileName;
            asset.path = path;
            asset.size = found->size;
            asset.sha256 = found->sha256;
            asset.tagsJson = stringify(tags);
            asset.userMetadataJson = stringify(metadata);
            asset.previewId = previewId;
            asset.createdAt = asset.updatedAt = unixNow();
            _assets.insertAsset(asset);
            existing = asset;
        }
        exchange.sendJson(200, AssetTasks::assetJson(*existing, createdNew));
        return;
    }

    Poco::JSON::Object::Ptr payload = new Poco::JSON::Object;
    payload->set("source_url", SourceUrl::withoutSecrets(sourceUrl));
    payload->set("tags", tags);
    payload->set("user_metadata", metadata);
    if (!previewId.empty())
        payload->set("preview_id", previewId);
    AssetTask task{JobSubmission::newJobId(), caller.userId, stringify(payload), "", unixNow()};
    // The task first, so the job's first progress event already finds it.
    _assets.insertTask(task);
    _tasks.remember(task.id);
    try {
        _submission.insert(request, caller.userId, caller.username, exchange.client().toString(), task.id);
    } catch (...) {
        _assets.removeTask(task.id);
        throw;
    }
    _submission.dispatch();

    Poco::JSON::Object::Ptr answer = new Poco::JSON::Object;
    answer->set("task_id", task.id);
    answer->set("status", "created");
    answer->set("message", "Download task created. Use task_id to track progress.");
    exchange.sendJson(202, answer);
}

std::pair<AssetTask, DownloadJob> CloudAssetRoutes::ownTask(HttpExchange& exchange)
{
    const auto task = _assets.findTask(exchange.param("task_id"));
    if (!task || task->userId != exchange.principal().userId)
        throw HttpError(404, "Task not found", "not_found");
    const auto job = _jobs.find(task->id);
    if (!job)
        throw HttpError(404, "Task not found", "not_found");
    return {*task, *job};
}

void CloudAssetRoutes::task(HttpExchange& exchange)
{
    const auto [task, job] = ownTask(exchange);
    exchange.sendJson(200, _tasks.taskJson(task, job));
}

void CloudAssetRoutes::cancel(HttpExchange& exchange)
{
    const auto [task, job] = ownTask(exchange);
    switch (_jobs.requestCancel(job.id, job.userId, unixNow())) {
    case DownloadJobStore::CancelResult::NotFound:
        throw HttpError(404, "Task not found", "not_found");
    case DownloadJobStore::CancelResult::AlreadyFinished:
        throw HttpError(409, std::string("the task is already ") + AssetTasks::cloudStatus(job.status),
                        "not_cancellable");
    case DownloadJobStore::CancelResult::Cancelled:
        if (const auto current = _jobs.find(job.id))
            _queue.publish(*current);
        break;
    case DownloadJobStore::CancelResult::Requested:
        _queue.cancelRunning(job.id);
        break;
    }
    const auto current = _jobs.find(job.id);
    exchange.sendJson(200, _tasks.taskJson(task, current ? *current : job));
}

} // namespace comfygate::modeldownload
