#include "PresentFiles.h"

#include "CivitaiResolver.h"
#include "HuggingFaceResolver.h"

#include <Poco/String.h>

namespace comfygate::modeldownload {

PresentFiles::PresentFiles(HttpClient& http, const DownloadSettings& settings, ModelFileIndex& index)
    : _settings(settings), _index(index)
{
    // A client is waiting: one short attempt. When it fails the request is queued anyway
    // and the runner retries with the configured patience.
    ResolverSettings once;
    once.maxAttempts = 1;
    once.timeout = std::chrono::seconds(15);
    // As in the runner: the base URL serves the default (first) CivitAI host.
    std::vector<std::string> civitaiBases{settings.civitaiBaseUrl};
    for (std::size_t i = 1; i < settings.civitaiHosts.size(); ++i)
        civitaiBases.push_back("https://" + settings.civitaiHosts[i]);
    _resolvers["civitai"] = std::make_shared<CivitaiResolver>(http, civitaiBases, once);
    _resolvers["huggingface"] = std::make_shared<HuggingFaceResolver>(http, settings.huggingfaceBaseUrl, once);
}

std::optional<PresentFiles::Found> PresentFiles::find(const DownloadRequest& request, const std::string& ownerId,
                                                      const std::string& apiKey)
{
    const auto resolver = _resolvers.find(request.source);
    if (resolver == _resolvers.end())
        return std::nullopt;
    SourceRequest source;
    source.source = request.source;
    source.modelVersionId = request.modelVersionId;
    source.type = request.type;
    source.format = request.format;
    source.size = request.size;
    source.fp = request.fp;
    if (request.civitaiHost != _settings.civitaiHosts.front())
        source.civitaiHost = request.civitaiHost;
    source.repoId = request.repoId;
    source.filename = request.filename;
    source.subfolder = request.subfolder;
    source.revision = request.revision.empty() ? "main" : request.revision;
    source.apiKey = apiKey;

    const ResolvedFile file = resolver->second->resolve(source);
    const std::string sha256 = Poco::toLower(file.sha256);
    if (sha256.empty())
        return std::nullopt;
    const std::filesystem::path directory = _settings.directoryFor(request.folderType, ownerId);
    const auto present = _index.findInDirectory(directory.string(), sha256);
    if (!present)
        return std::nullopt;
    const std::filesystem::path path(*present);
    return Found{path, path.filename().string(), sha256, static_cast<std::int64_t>(std::filesystem::file_size(path))};
}

} // namespace comfygate::modeldownload
