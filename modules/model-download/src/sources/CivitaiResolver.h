#pragma once

#include "ResolverSettings.h"
#include "SourceResolver.h"

#include <cstdint>
#include <string>
#include <vector>

namespace comfygate {
class HttpClient;
struct HttpClientResponse;
} // namespace comfygate

namespace comfygate::modeldownload {

/// One entry of a CivitAI version's `files[]`, as far as choosing and verifying it needs.
struct CivitaiFile
{
    std::string id;
    std::string name;
    std::string type;   ///< Model, Pruned Model, VAE, Training Data, ...
    std::string format; ///< metadata.format: SafeTensor, PickleTensor, GGUF, ...
    std::string size;   ///< metadata.size: full, pruned
    std::string fp;     ///< metadata.fp: fp16, bf16, ...
    double sizeKB = -1;
    std::string sha256; ///< lower-case; empty when absent or malformed
    bool primary = false;
};

/// Resolves a CivitAI model version (`GET <base>/api/v1/model-versions/{id}`) to one file:
/// chooses it by type/format/size/fp (or the primary one), pins it with `fileId`, takes its
/// name and SHA-256, and asks the download route once without following its redirect, so a
/// refusal (generation-only, login required, early access until ..., no matching file) is
/// known and explained before any byte moves. "Login required" is split into "no key",
/// "key rejected" and "key valid but refused" with `GET /api/v1/me`.
///
/// Size: `sizeKB` is a float of KiB, so the resolved `size` stays -1 and `sizeHint` carries
/// sizeKB*1024, used for progress and as a cap; the exact size comes from the storage
/// response and the SHA-256 decides.
class CivitaiResolver : public SourceResolver
{
public:
    /// `baseUrls`: the configured CivitAI origins (e.g. https://civitai.com), the first one
    /// the default; SourceRequest::civitaiHost picks another by host name.
    CivitaiResolver(HttpClient& http, std::vector<std::string> baseUrls, ResolverSettings settings = {});

    ResolvedFile resolve(const SourceRequest& request) override;

    /// The file a request means: the one matching every given selector (type, format,
    /// size, fp; case-insensitive), or without selectors the primary file, else the first.
    /// Throws DownloadRefused listing what the version offers when nothing matches.
    static const CivitaiFile& chooseFile(const std::vector<CivitaiFile>& files, const SourceRequest& request);

private:
    std::string baseUrlFor(const SourceRequest& request) const;
    HttpClientResponse get(const std::string& url, const std::string& apiKey, bool followRedirects);
    void probeDownload(const std::string& baseUrl, const std::string& downloadUrl, const SourceRequest& request,
                       const std::string& earlyAccessEndsAt);
    std::string loginRequiredReason(const std::string& baseUrl, const std::string& apiKey,
                                    const std::string& serverMessage);

    HttpClient& _http;
    std::vector<std::string> _baseUrls;
    ResolverSettings _settings;
};

} // namespace comfygate::modeldownload
