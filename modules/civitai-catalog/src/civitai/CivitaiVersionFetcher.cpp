#include "CivitaiVersionFetcher.h"

#include "CivitaiClient.h"

#include "comfygate/HttpError.h"

#include <chrono>

namespace comfygate::civitaicatalog {

Poco::JSON::Object::Ptr CivitaiVersionFetcher::fetch(std::int64_t versionId, const std::string& apiKey)
{
    CivitaiEndpoint endpoint;
    endpoint.baseUrl = _baseUrl;
    endpoint.timeout = std::chrono::seconds(30);
    CivitaiReply reply;
    try {
        reply = CivitaiClient(_http, endpoint, apiKey).modelVersion(versionId);
    } catch (const HttpClientError& error) {
        throw HttpError(502, std::string("CivitAI could not be reached: ") + error.what(), "upstream_unreachable");
    }
    if (reply.status == 404)
        throw HttpError(404, "CivitAI has no model version " + std::to_string(versionId), "not_found");
    if (reply.status >= 400 && reply.status < 500)
        throw HttpError(static_cast<int>(reply.status),
                        "CivitAI refused model version " + std::to_string(versionId) + " (HTTP " +
                            std::to_string(reply.status) + ")",
                        "upstream_refused");
    if (reply.status != 200)
        throw HttpError(502, "CivitAI answered HTTP " + std::to_string(reply.status), "upstream_error");
    if (!reply.json)
        throw HttpError(502, "CivitAI answered with something that is not a JSON object", "upstream_malformed");
    return reply.json;
}

} // namespace comfygate::civitaicatalog
