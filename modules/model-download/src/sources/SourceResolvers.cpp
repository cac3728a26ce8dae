#include "SourceResolvers.h"

#include "CivitaiResolver.h"
#include "HuggingFaceResolver.h"

namespace comfygate::modeldownload {

SourceResolverMap makeSourceResolvers(HttpClient& http, const DownloadSettings& settings,
                                      const ResolverSettings& resolving)
{
    std::vector<std::string> civitaiBases{settings.civitaiBaseUrl};
    for (std::size_t i = 1; i < settings.civitaiHosts.size(); ++i)
        civitaiBases.push_back("https://" + settings.civitaiHosts[i]);
    SourceResolverMap resolvers;
    resolvers["civitai"] = std::make_shared<CivitaiResolver>(http, civitaiBases, resolving);
    resolvers["huggingface"] = std::make_shared<HuggingFaceResolver>(http, settings.huggingfaceBaseUrl, resolving);
    return resolvers;
}

SourceRequest resolverRequest(const DownloadRequest& request, const DownloadSettings& settings, std::string apiKey)
{
    SourceRequest source;
    source.source = request.source;
    source.modelVersionId = request.modelVersionId;
    source.type = request.type;
    source.format = request.format;
    source.size = request.size;
    source.fp = request.fp;
    if (settings.civitaiHosts.empty() || request.civitaiHost != settings.civitaiHosts.front())
        source.civitaiHost = request.civitaiHost;
    source.repoId = request.repoId;
    source.filename = request.filename;
    source.subfolder = request.subfolder;
    source.revision = request.revision.empty() ? "main" : request.revision;
    source.apiKey = std::move(apiKey);
    return source;
}

} // namespace comfygate::modeldownload
