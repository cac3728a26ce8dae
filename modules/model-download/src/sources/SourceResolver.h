#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace comfygate::modeldownload {

/// What a client asked to download, already validated by the routes.
struct SourceRequest
{
    std::string source; ///< "civitai" | "huggingface"

    // CivitAI
    std::string modelVersionId;
    std::string type, format, size, fp; ///< file selectors; empty = the primary file
    std::string civitaiHost;            ///< one of the configured CivitAI hosts

    // Hugging Face
    std::string repoId;
    std::string filename;  ///< path inside the repository
    std::string subfolder; ///< optional, joined before filename
    std::string revision = "main";

    std::string apiKey; ///< the key to present to the source's API host; may be empty
};

/// One file, resolved from the source's metadata before any byte is transferred.
struct ResolvedFile
{
    std::string downloadUrl; ///< the first URL to GET; redirects from there are followed hop by hop
    std::string fileName;    ///< the name the source gives the file (not yet confined to a folder)
    std::int64_t size = -1;  ///< bytes; -1 when the source does not say
    std::string sha256;      ///< lower-case hex; empty when the source does not say
    std::string pin;         ///< CivitAI file id or Hugging Face commit: what was resolved
    std::string apiKey;      ///< sent as Bearer only to credentialHosts
    std::vector<std::string> credentialHosts; ///< the source's API hosts, never its storage/CDN

    /// Approximate size when the exact one is unknown (CivitAI `sizeKB` * 1024): for
    /// progress and as an upper bound on what the transfer accepts, never verified exactly.
    std::int64_t sizeHint = -1;
    /// Git blob SHA-1 (lower-case hex) when the source names the file only by that (small
    /// regular files on Hugging Face); verified together with `size`.
    std::string gitBlobSha1;
};

/// The source refused the file for a reason a person can act on, e.g. "CivitAI requires an
/// API key for this model", "generation-only model", "early access until 2026-12-24",
/// "gated repository: request access at https://huggingface.co/org/name".
class DownloadRefused : public std::runtime_error
{
public:
    using std::runtime_error::runtime_error;
};

/// Turns a request into a ResolvedFile using the source's API (CivitAI
/// `GET /api/v1/model-versions/{id}`, Hugging Face `HEAD /{repo}/resolve/{rev}/{path}`
/// without following the CDN redirect). Throws DownloadRefused, or HttpClientError when the
/// source cannot be reached.
class SourceResolver
{
public:
    virtual ~SourceResolver() = default;
    virtual ResolvedFile resolve(const SourceRequest& request) = 0;
};

} // namespace comfygate::modeldownload
