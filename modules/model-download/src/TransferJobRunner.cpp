#include "TransferJobRunner.h"

#include "DownloadPolicy.h"
#include "comfygate/HttpClient.h"

#include <Poco/DigestEngine.h>
#include <Poco/SHA2Engine.h>
#include <Poco/String.h>

#include <chrono>
#include <fstream>
#include <system_error>
#include <vector>

namespace comfygate::modeldownload {
namespace {

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

std::optional<std::string> TransferJobRunner::plainFileName(const std::string& name)
{
    if (name.empty() || name.size() > 255 || name == "." || name == ".." || name.front() == '.' ||
        name.find_first_of("/\\") != std::string::npos)
        return std::nullopt;
    for (unsigned char c : name) {
        if (c < 0x20 || c == 0x7f)
            return std::nullopt;
    }
    return name;
}

std::string TransferJobRunner::sha256Of(const std::filesystem::path& file)
{
    std::ifstream in(file, std::ios::binary);
    if (!in)
        throw std::runtime_error("cannot read " + file.string());
    Poco::SHA2Engine engine(Poco::SHA2Engine::SHA_256);
    std::vector<char> buffer(1 << 20);
    while (in) {
        in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
        if (in.gcount() > 0)
            engine.update(buffer.data(), static_cast<unsigned>(in.gcount()));
    }
    return Poco::DigestEngine::digestToHex(engine.digest());
}

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
    const DownloadRequest& request = job.request;
    SourceRequest source;
    source.source = request.source;
    source.modelVersionId = request.modelVersionId;
    source.type = request.type;
    source.format = request.format;
    source.size = request.size;
    source.fp = request.fp;
    source.civitaiHost = request.civitaiHost;
    source.repoId = request.repoId;
    source.filename = request.filename;
    source.subfolder = request.subfolder;
    source.revision = request.revision.empty() ? "main" : request.revision;
    // The owner's key: with target_username that is the target user's, not the admin's.
    if (_parts.apiKey) {
        if (auto key = _parts.apiKey(job.userId, request.source))
            source.apiKey = *key;
    }
    return source;
}

std::optional<std::string> TransferJobRunner::policyRefusal(const DownloadJob& job, const ResolvedFile& file) const
{
    std::optional<std::int64_t> size;
    if (file.size >= 0)
        size = file.size;
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
        _parts.grant(job.userId, job.request.folderType, file.lexically_relative(folder).generic_string());
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

    const auto name = plainFileName(file.fileName);
    if (!name)
        return JobOutcome::failed(sourceTitle(job.source()) + " names the file '" + file.fileName +
                                  "', which is not a plain file name; refusing to write it");
    if (auto refusal = policyRefusal(job, file))
        return JobOutcome::failed("refused by the download policy: " + *refusal);

    const std::filesystem::path directory = _settings.directoryFor(job.request.folderType, job.userId);
    std::filesystem::create_directories(directory);
    const std::string sha256 = Poco::toLower(file.sha256);

    // The same content already in the folder (maybe under another name): nothing to fetch.
    if (!sha256.empty()) {
        if (const auto present = _index.findInDirectory(directory.string(), sha256))
            return publish(job, *present, sha256);
    }

    const std::filesystem::path target = directory / *name;
    const std::shared_ptr<SourceResolver> source = resolver->second;
    const auto result = _shared.run(target.string(), control, [&](const FileTransfer::Hooks& shared) {
        std::error_code error;
        std::filesystem::path published;
        if (std::filesystem::exists(target, error)) {
            // Not ours (not indexed): keep it if it is this very file, never overwrite it.
            if (sha256.empty() || sha256Of(target) != sha256)
                throw TransferFailed("a different file named '" + *name + "' is already in " +
                                     job.request.folderType + "; remove or rename it first");
            published = target;
        } else {
            FileTransfer::Hooks hooks = shared;
            hooks.reResolve = [source, request] { return source->resolve(request); };
            published = _parts.transfer(file, directory, *name, hooks);
        }
        // Indexed before any job waiting on this target is released.
        if (!sha256.empty())
            _index.record(published.string(), static_cast<std::int64_t>(std::filesystem::file_size(published)),
                          sha256, unixNow());
        return published;
    });

    switch (result.kind) {
    case JobOutcome::Kind::Cancelled:
        return JobOutcome::cancelled();
    case JobOutcome::Kind::Failed:
        return JobOutcome::failed(result.error);
    case JobOutcome::Kind::Completed:
        break;
    }
    if (result.shared && !sha256.empty() && !_index.holds(result.path.string(), sha256)) {
        // Another job wrote this path; it must be the file this job asked for.
        return JobOutcome::failed("another download wrote a different '" + *name + "' into " +
                                      job.request.folderType + " at the same time");
    }
    return publish(job, result.path, sha256);
}

} // namespace comfygate::modeldownload
