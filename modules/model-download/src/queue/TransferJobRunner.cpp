#include "TransferJobRunner.h"

#include "DownloadPolicy.h"
#include "FileDigest.h"
#include "SafeFileName.h"
#include "SourceResolvers.h"
#include "comfygate/HttpClient.h"

#include <Poco/String.h>

#include <chrono>
#include <system_error>

namespace comfygate::modeldownload {
namespace {

/// The job's outcome when the shared transfer did not complete (cancelled or failed).
std::optional<JobOutcome> unfinished(const SharedTransfers::Result& result)
{
    switch (result.kind) {
    case JobOutcome::Kind::Cancelled:
        return JobOutcome::cancelled();
    case JobOutcome::Kind::Failed:
        return JobOutcome::failed(result.error);
    case JobOutcome::Kind::Completed:
        break;
    }
    return std::nullopt;
}

std::int64_t unixNow()
{
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string sourceTitle(const std::string& source)
{
    return source == "civitai" ? "CivitAI" : source == "huggingface" ? "Hugging Face" : source;
}

} // namespace

JobOutcome TransferJobRunner::run(const DownloadJob& job, JobControl& control)
{
    try {
        return runChecked(job, control);
    } catch (const DownloadRefused& refused) {
        return JobOutcome::failed(refused.what());
    } catch (const HttpClientError& error) {
        return JobOutcome::failed("could not reach " + sourceTitle(job.source()) + ": " + error.what());
    } catch (const std::exception& error) {
        return JobOutcome::failed(error.what());
    }
}

SourceRequest TransferJobRunner::sourceRequest(const DownloadJob& job) const
{
    // The owner's key: with target_username that is the target user's, not the admin's.
    std::string key;
    if (_parts.apiKey) {
        if (auto stored = _parts.apiKey(job.userId, job.request.source))
            key = *stored;
    }
    return resolverRequest(job.request, _settings, key);
}

std::optional<std::string> TransferJobRunner::policyRefusal(const DownloadJob& job, const ResolvedFile& file) const
{
    // CivitAI gives only an approximate size (sizeKB): close enough for a size cap.
    std::optional<std::int64_t> size;
    if (file.size >= 0)
        size = file.size;
    else if (file.sizeHint >= 0)
        size = file.sizeHint;
    return askDownloadPolicy(_policy, job.request, size, file.fileName);
}

std::string TransferJobRunner::relativeToModels(const std::filesystem::path& file) const
{
    return file.lexically_relative(_settings.modelsDir).generic_string();
}

JobOutcome TransferJobRunner::publish(const DownloadJob& job, const std::filesystem::path& file,
                                      const std::string& sha256)
{
    const auto size = static_cast<std::int64_t>(std::filesystem::file_size(file));
    if (_settings.modelIsolation && _parts.grant) {
        const std::filesystem::path folder = _settings.modelsDir / job.request.folderType;
        try {
            _parts.grant(job.userId, job.request.folderType, file.lexically_relative(folder).generic_string(), "local");
        } catch (const std::exception& error) {
            return JobOutcome::failed("saved as " + relativeToModels(file) +
                                      " but not granted to its owner: " + error.what());
        }
    }
    return JobOutcome::completed(relativeToModels(file), sha256, size);
}

JobOutcome TransferJobRunner::runChecked(const DownloadJob& job, JobControl& control)
{
    const auto resolver = _parts.resolvers.find(job.source());
    if (resolver == _parts.resolvers.end() || !resolver->second)
        return JobOutcome::failed("downloads from " + sourceTitle(job.source()) + " are not available on this server");

    const SourceRequest request = sourceRequest(job);
    if (request.apiKey.empty() && _settings.requiresKey(job.source()))
        return JobOutcome::failed(sourceTitle(job.source()) +
                                  " needs an API key and none is stored: PUT /mss-login/api/model-download/api-keys");

    const ResolvedFile file = resolver->second->resolve(request);
    if (control.cancelled())
        return JobOutcome::cancelled();

    if (const std::string why = SafeFileName::problem(file.fileName); !why.empty())
        return JobOutcome::failed(sourceTitle(job.source()) + " names the file '" + file.fileName +
                                  "', which is not a plain file name (" + why + "); refusing to write it");
    const std::string name = file.fileName;
    if (auto refusal = policyRefusal(job, file)) {
        if (control.cancelled()) // the policy engine stops before the modules: not a verdict
            return JobOutcome::cancelled();
        return JobOutcome::failed("refused by the download policy: " + *refusal);
    }

    if (job.request.destinationType == "s3")
        return runToS3(job, control, file, request, resolver->second);

    const std::filesystem::path directory = _settings.directoryFor(job.request.folderType, job.userId);
    std::filesystem::create_directories(directory);
    const std::string sha256 = Poco::toLower(file.sha256);

    // The same content already in the folder (maybe under another name): nothing to fetch.
    if (!sha256.empty()) {
        if (const auto present = _index.findInDirectory(directory.string(), sha256))
            return publish(job, *present, sha256);
    }

    const std::filesystem::path target = directory / name;
    const std::shared_ptr<SourceResolver> source = resolver->second;
    std::string publishedSha256 = sha256;
    const auto result = _shared.run(target.string(), control, [&](const FileTransfer::Hooks& shared) {
        std::error_code error;
        FileTransfer::Result published;
        if (std::filesystem::exists(target, error)) {
            // Not ours (not indexed): keep it if it is this very file, never overwrite it.
            if (sha256.empty() || FileDigest::sha256OfFile(target.string()) != sha256)
                throw TransferFailed("a different file named '" + name + "' is already in " + job.request.folderType +
                                     "; remove or rename it first");
            published = {target, sha256, static_cast<std::int64_t>(std::filesystem::file_size(target))};
        } else {
            FileTransfer::Hooks hooks = shared;
            hooks.reResolve = [this, source, request] { return source->resolve(request); };
            control.partialFile(FileTransfer::partPath(directory, name).string());
            published = _parts.transfer(file, directory, name, hooks);
        }
        // Indexed before any job waiting on this target is released. A source that named no
        // SHA-256 (a small Hugging Face file) is indexed by what the transfer computed.
        publishedSha256 = Poco::toLower(published.sha256);
        if (!publishedSha256.empty())
            _index.record(published.path.string(), published.size, publishedSha256, unixNow());
        return published.path;
    });

    if (auto ended = unfinished(result))
        return *ended;
    if (result.shared && !sha256.empty() && !_index.holds(result.path.string(), sha256)) {
        // Another job wrote this path; it must be the file this job asked for.
        return JobOutcome::failed("another download wrote a different '" + name + "' into " + job.request.folderType +
                                  " at the same time");
    }
    return publish(job, result.path, result.shared ? sha256 : publishedSha256);
}

JobOutcome TransferJobRunner::publishS3(const DownloadJob& job, const S3Object& object, const std::string& relativeKey,
                                        const std::string& sha256)
{
    const std::string location = _parts.s3->location(object);
    if (_settings.modelIsolation && _parts.grant) {
        const std::string folderPrefix = job.request.folderType + "/";
        try {
            _parts.grant(job.userId, job.request.folderType, relativeKey.substr(folderPrefix.size()), "s3");
        } catch (const std::exception& error) {
            return JobOutcome::failed("uploaded to " + location + " but not granted to its owner: " + error.what());
        }
    }
    return JobOutcome::completed(location, sha256, static_cast<std::int64_t>(object.size));
}

// The key mirrors the local layout below s3.prefix: <folder_type>/<name>, or
// <folder_type>/<owner id>/<name> with model isolation. The file is fetched and verified into
// <staging>/<that key> exactly like a local download (resume, hashes), uploaded with its SHA-256
// as object metadata, and removed from the staging folder whatever happens. Jobs for the same
// key share one fetch and upload (SharedTransfers on the staging path).
JobOutcome TransferJobRunner::runToS3(const DownloadJob& job, JobControl& control, const ResolvedFile& file,
                                      const SourceRequest& request, const std::shared_ptr<SourceResolver>& source)
{
    if (!_parts.s3)
        return JobOutcome::failed("S3 destinations are disabled on this server (experimental.s3)");
    const std::string name = file.fileName;
    const std::string key = (_settings.directoryFor(job.request.folderType, job.userId) / name)
                                .lexically_relative(_settings.modelsDir)
                                .generic_string();
    const std::string sha256 = Poco::toLower(file.sha256);

    // Already in the bucket with the same content: nothing to fetch. Another object under that
    // key is never overwritten, as a local file is not.
    auto sameObject = [&sha256](const std::optional<S3Object>& object) {
        if (!object || sha256.empty())
            return false;
        const auto stored = object->metadata.find("sha256");
        return stored != object->metadata.end() && Poco::toLower(stored->second) == sha256;
    };
    if (const auto existing = _parts.s3->head(key)) {
        if (sameObject(existing))
            return publishS3(job, *existing, key, sha256);
        return JobOutcome::failed("a different object " + _parts.s3->location(*existing) +
                                  " is already in the bucket; remove or rename it first");
    }

    const std::filesystem::path staging = _parts.s3Staging / std::filesystem::path(key).parent_path();
    std::filesystem::create_directories(staging);
    const std::filesystem::path target = staging / name;
    std::optional<S3Object> uploaded;
    std::string uploadedSha256 = sha256;
    control.phase("downloading");
    const auto result = _shared.run(target.string(), control, [&](const FileTransfer::Hooks& shared) {
        // Whatever happens below, nothing stays in the staging folder.
        struct RemoveStaged
        {
            const std::filesystem::path& path;
            ~RemoveStaged()
            {
                std::error_code ignored;
                std::filesystem::remove(path, ignored);
            }
        } removeStaged{target};
        // A staged file left by a crash between the fetch and its removal: ours, reuse it if it is
        // this very file (FileTransfer never replaces a final name).
        FileTransfer::Result fetched;
        std::error_code error;
        if (std::filesystem::exists(target, error) && !sha256.empty() &&
            FileDigest::sha256OfFile(target.string()) == sha256) {
            fetched = {target, sha256, static_cast<std::int64_t>(std::filesystem::file_size(target))};
        } else {
            std::filesystem::remove(target, error);
            FileTransfer::Hooks hooks = shared;
            hooks.reResolve = [this, source, request] { return source->resolve(request); };
            fetched = _parts.transfer(file, staging, name, hooks);
        }
        uploadedSha256 = Poco::toLower(fetched.sha256);
        control.phase("uploading");
        std::map<std::string, std::string> metadata;
        if (!uploadedSha256.empty())
            metadata["sha256"] = uploadedSha256;
        uploaded = _parts.s3->upload(fetched.path, key, {shared.progress, shared.cancelled}, metadata);
        return fetched.path;
    });

    if (auto ended = unfinished(result))
        return *ended;
    if (uploaded)
        return publishS3(job, *uploaded, key, uploadedSha256);
    // Another job fetched and uploaded this key; it must be the object this job asked for.
    const auto stored = _parts.s3->head(key);
    if (!stored || (!sha256.empty() && !sameObject(stored)))
        return JobOutcome::failed("another download wrote a different '" + name + "' to the bucket at the same time");
    return publishS3(job, *stored, key, sha256);
}

} // namespace comfygate::modeldownload
