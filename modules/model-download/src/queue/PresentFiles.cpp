#include "PresentFiles.h"

#include "SourceResolvers.h"

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
    _resolvers = makeSourceResolvers(http, settings, once);
}

std::optional<PresentFiles::Found> PresentFiles::find(const DownloadRequest& request, const std::string& ownerId,
                                                      const std::string& apiKey)
{
    const auto resolver = _resolvers.find(request.source);
    if (resolver == _resolvers.end())
        return std::nullopt;
    const ResolvedFile file = resolver->second->resolve(resolverRequest(request, _settings, apiKey));
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
