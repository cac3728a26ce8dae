#pragma once

#include "DownloadJob.h"
#include "DownloadSettings.h"
#include "ResolverSettings.h"
#include "SourceResolver.h"

#include <map>
#include <memory>
#include <string>

namespace comfygate {
class HttpClient;
}

namespace comfygate::modeldownload {

using SourceResolverMap = std::map<std::string, std::shared_ptr<SourceResolver>>;

/// The resolver of every source ("civitai", "huggingface") as the settings configure them:
/// downloads.civitai.base_url serves the default (first) CivitAI host, every other configured
/// CivitAI host is reached at https://<host>.
SourceResolverMap makeSourceResolvers(HttpClient& http, const DownloadSettings& settings,
                                      const ResolverSettings& resolving);

/// A queued request as a resolver takes it, with the owner's `apiKey` (empty for none). The
/// default CivitAI host is left empty so that the base URL serves it.
SourceRequest resolverRequest(const DownloadRequest& request, const DownloadSettings& settings, std::string apiKey);

} // namespace comfygate::modeldownload
