#pragma once

#include "comfygate/HttpClient.h"

#include <Poco/JSON/Object.h>

#include <chrono>
#include <cstdint>
#include <string>

namespace comfygate::civitaicatalog {

/// Where and how the catalog talks to CivitAI's API.
struct CivitaiEndpoint
{
    std::string baseUrl = "https://civitai.com"; ///< `downloads.civitai.base_url`
    std::chrono::milliseconds timeout{15000};    ///< whole request, per call
    std::uint64_t maxBytes = 8ull * 1024 * 1024; ///< API answers are small; a huge one is an error
};

/// One API answer: the status, the raw body and, when the body is a JSON object, that object.
struct CivitaiReply
{
    long status = 0;
    std::string body;
    Poco::JSON::Object::Ptr json; ///< null when the body is not a JSON object
};

/// The CivitAI API calls of the catalog (the image routes, `add`), made through the kernel's HttpClient
/// with a Bearer key (the caller's, else the server's) that never leaves the API host.
/// Transport failures throw HttpClientError; HTTP error statuses come back in the reply.
class CivitaiClient
{
public:
    CivitaiClient(HttpClient& http, CivitaiEndpoint endpoint, std::string apiKey);

    /// tRPC `image.getGenerationData` for one image; the body is a tRPC envelope.
    CivitaiReply generationData(std::int64_t imageId);
    /// `/api/v1/model-versions/by-hash/{hash}` (any hash type CivitAI stores).
    CivitaiReply versionByHash(const std::string& hash);
    /// `/api/v1/models?query=&types=&limit=`
    CivitaiReply searchModels(const std::string& query, const std::string& type, int limit);
    /// `/api/v1/model-versions/{id}`
    CivitaiReply modelVersion(std::int64_t versionId);
    /// `/api/v1/images?imageId=N&limit=1`
    CivitaiReply image(std::int64_t imageId);

    bool hasKey() const { return !_apiKey.empty(); }

private:
    CivitaiReply get(const std::string& path, const std::vector<std::pair<std::string, std::string>>& query);

    HttpClient& _http;
    CivitaiEndpoint _endpoint;
    std::string _apiKey;
};

} // namespace comfygate::civitaicatalog
