#pragma once

#include "comfygate/HttpClient.h"

#include <Poco/JSON/Object.h>

#include <cstdint>
#include <string>

namespace comfygate::civitaicatalog {

/// `GET <base>/api/v1/model-versions/{id}` (CivitaiClient), its refusals as HttpErrors.
class CivitaiVersionFetcher
{
public:
    CivitaiVersionFetcher(HttpClient& http, std::string baseUrl) : _http(http), _baseUrl(std::move(baseUrl)) {}

    /// The version object. HttpError 404 when CivitAI does not know the version, CivitAI's
    /// own 4xx status for its other refusals (401, 403, 429), 502 for a network failure, a
    /// 5xx or an answer that is not a JSON object.
    Poco::JSON::Object::Ptr fetch(std::int64_t versionId, const std::string& apiKey);

    const std::string& baseUrl() const { return _baseUrl; }

private:
    HttpClient& _http;
    std::string _baseUrl;
};

} // namespace comfygate::civitaicatalog
