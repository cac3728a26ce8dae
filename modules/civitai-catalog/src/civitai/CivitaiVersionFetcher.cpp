#include "CivitaiVersionFetcher.h"

#include "comfygate/HttpError.h"

#include <Poco/JSON/Parser.h>

namespace comfygate::civitaicatalog {

Poco::JSON::Object::Ptr CivitaiVersionFetcher::fetch(std::int64_t versionId, const std::string& apiKey)
{
    HttpClientRequest request;
    request.url = _baseUrl + "/api/v1/model-versions/" + std::to_string(versionId);
    request.headers.emplace_back("Accept", "application/json");
    if (!apiKey.empty())
        request.authorization = "Bearer " + apiKey;
    request.totalTimeout = std::chrono::seconds(30);
    request.maxBytes = 8 * 1024 * 1024;
    request.maxAttempts = 2;
    request.retryBaseDelay = std::chrono::milliseconds(200);

    HttpClientResponse response;
    try {
        response = _http.perform(request);
    } catch (const HttpClientError& error) {
        throw HttpError(502, std::string("CivitAI could not be reached: ") + error.what(), "upstream_unreachable");
    }
    if (response.status == 404)
        throw HttpError(404, "CivitAI has no model version " + std::to_string(versionId), "not_found");
    if (response.status >= 400 && response.status < 500)
        throw HttpError(static_cast<int>(response.status),
                        "CivitAI refused model version " + std::to_string(versionId) + " (HTTP " +
                            std::to_string(response.status) + ")",
                        "upstream_refused");
    if (response.status != 200)
        throw HttpError(502, "CivitAI answered HTTP " + std::to_string(response.status), "upstream_error");
    try {
        auto parsed = Poco::JSON::Parser().parse(response.body);
        if (parsed.type() == typeid(Poco::JSON::Object::Ptr))
            return parsed.extract<Poco::JSON::Object::Ptr>();
    } catch (const Poco::Exception&) {
    }
    throw HttpError(502, "CivitAI answered with something that is not a JSON object", "upstream_malformed");
}

} // namespace comfygate::civitaicatalog
