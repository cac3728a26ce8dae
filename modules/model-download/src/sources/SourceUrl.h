#pragma once

#include "DownloadSettings.h"

#include <Poco/JSON/Object.h>

#include <string>
#include <utility>
#include <vector>

namespace comfygate::modeldownload {

/// Turns a Comfy Cloud `source_url` into the body of an MSS-Login `POST download` naming the
/// same file, so DownloadRequestParser validates it like any other request; refuses it with
/// HttpError(400, ..., "invalid_source_url") saying why. Only configured hosts are accepted:
/// the CivitAI hosts (`downloads.civitai.hosts`), the Hugging Face hosts
/// (`downloads.huggingface.hosts`) and the hosts of the two base URLs. The URL only names the
/// file: it is never fetched; the resolvers reach the source through its base URL.
///
/// CivitAI: `/models/{id}[/slug]?modelVersionId={vid}` and `/api/download/models/{vid}`
/// (whose `type`, `format`, `size`, `fp` query parameters select the file).
/// Hugging Face: `/{owner}/{repo}/resolve/{revision}/{path}` and `/{owner}/{repo}/blob/...`.
class SourceUrl
{
public:
    SourceUrl(const DownloadSettings& settings, std::vector<std::string> huggingfaceHosts);

    Poco::JSON::Object::Ptr toDownloadBody(const std::string& url) const;

    /// The URL as it may be stored and shown again: only the query parameters that name the
    /// file are kept, so a `?token=` a client pasted along never lands in a task's payload.
    static std::string withoutSecrets(const std::string& url);

    /// The Hugging Face hosts: the configured ones plus the base URL's.
    const std::vector<std::string>& huggingfaceHosts() const { return _huggingfaceHosts; }

private:
    using Query = std::vector<std::pair<std::string, std::string>>;

    Poco::JSON::Object::Ptr civitai(const std::string& host, const std::vector<std::string>& segments,
                                    const Query& query) const;
    static Poco::JSON::Object::Ptr huggingface(const std::vector<std::string>& segments);

    const DownloadSettings& _settings;
    std::vector<std::string> _civitaiHosts;
    std::vector<std::string> _huggingfaceHosts;
};

} // namespace comfygate::modeldownload
