#include "CivitaiClient.h"

#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>
#include <Poco/URI.h>

#include <sstream>

namespace comfygate::civitaicatalog {

CivitaiClient::CivitaiClient(HttpClient& http, CivitaiEndpoint endpoint, std::string apiKey)
    : _http(http), _endpoint(std::move(endpoint)), _apiKey(std::move(apiKey))
{
}

CivitaiReply CivitaiClient::generationData(std::int64_t imageId)
{
    Poco::JSON::Object::Ptr id = new Poco::JSON::Object;
    id->set("id", imageId);
    Poco::JSON::Object input;
    input.set("json", id);
    std::ostringstream text;
    Poco::JSON::Stringifier::stringify(input, text);
    return get("/api/trpc/image.getGenerationData", {{"input", text.str()}});
}

CivitaiReply CivitaiClient::versionByHash(const std::string& hash)
{
    std::string segment;
    Poco::URI::encode(hash, "/?#", segment);
    return get("/api/v1/model-versions/by-hash/" + segment, {});
}

CivitaiReply CivitaiClient::searchModels(const std::string& query, const std::string& type, int limit)
{
    return get("/api/v1/models", {{"query", query}, {"types", type}, {"limit", std::to_string(limit)}});
}

CivitaiReply CivitaiClient::image(std::int64_t imageId)
{
    return get("/api/v1/images", {{"imageId", std::to_string(imageId)}, {"limit", "1"}});
}

CivitaiReply CivitaiClient::modelVersion(std::int64_t versionId)
{
    return get("/api/v1/model-versions/" + std::to_string(versionId), {});
}

CivitaiReply CivitaiClient::get(const std::string& path, const std::vector<std::pair<std::string, std::string>>& query)
{
    Poco::URI uri(_endpoint.baseUrl);
    uri.setPath(uri.getPath() == "/" ? path : uri.getPath() + path);
    for (const auto& [name, value] : query)
        uri.addQueryParameter(name, value);

    HttpClientRequest request;
    request.url = uri.toString();
    request.headers.emplace_back("Accept", "application/json");
    if (!_apiKey.empty())
        request.authorization = "Bearer " + _apiKey;
    request.connectTimeout = std::min(_endpoint.timeout, std::chrono::milliseconds(10000));
    request.totalTimeout = _endpoint.timeout;
    request.maxBytes = _endpoint.maxBytes;
    // The API has no reason to redirect elsewhere; following one would only widen where we go.
    request.followRedirects = false;

    const auto response = _http.perform(request);
    CivitaiReply reply;
    reply.status = response.status;
    reply.body = response.body;
    try {
        const auto parsed = Poco::JSON::Parser().parse(response.body);
        if (parsed.type() == typeid(Poco::JSON::Object::Ptr))
            reply.json = parsed.extract<Poco::JSON::Object::Ptr>();
    } catch (const Poco::Exception&) {
    }
    return reply;
}

} // namespace comfygate::civitaicatalog
