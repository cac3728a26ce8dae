#pragma once

#include "ResolverSettings.h"
#include "SourceResolver.h"

#include <string>

namespace comfygate {
class HttpClient;
}

namespace comfygate::modeldownload {

/// Resolves a Hugging Face file with `HEAD <base>/{repo}/resolve/{revision}/{path}` without
/// following the redirect to the CDN (only same-host redirects are followed: a renamed
/// repository, the resolve cache). From that answer: the commit (`X-Repo-Commit`), the
/// SHA-256 (`X-Linked-Etag` of an LFS file) or, for a small regular file, its git blob
/// SHA-1 (`ETag`), and the size (`X-Linked-Size`, else `Content-Length` of a 200). The
/// download URL is pinned to `/resolve/{commit}/` so every byte comes from that commit.
/// `X-Error-Code` answers become DownloadRefused with what to do.
class HuggingFaceResolver : public SourceResolver
{
public:
    /// `baseUrl`: the Hub origin, e.g. https://huggingface.co.
    HuggingFaceResolver(HttpClient& http, std::string baseUrl, ResolverSettings settings = {});

    ResolvedFile resolve(const SourceRequest& request) override;

    /// Why `repoId` is not a valid "owner/name", empty when it is.
    static std::string repoIdProblem(const std::string& repoId);
    /// Why `path` (a file path inside a repository, `/`-separated) is not acceptable, empty
    /// when it is: no empty, `.` or `..` segments, no backslashes or control characters.
    static std::string repoPathProblem(const std::string& path);
    /// `path` with every segment percent-encoded (the `/` between them kept).
    static std::string encodePath(const std::string& path);

private:
    [[noreturn]] void refuse(long status, const std::string& errorCode, const std::string& errorMessage,
                             const SourceRequest& request, const std::string& path) const;

    HttpClient& _http;
    std::string _baseUrl;
    ResolverSettings _settings;
};

} // namespace comfygate::modeldownload
