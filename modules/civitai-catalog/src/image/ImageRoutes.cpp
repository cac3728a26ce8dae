#include "ImageRoutes.h"

#include "DependencyResolver.h"
#include "GenerationEnvelope.h"
#include "ImageReport.h"
#include "comfygate/HttpError.h"
#include "comfygate/HttpExchange.h"

#include <Poco/JSON/Stringifier.h>

#include <algorithm>
#include <cctype>
#include <sstream>
#include <stdexcept>

namespace comfygate::civitaicatalog {

namespace {

/// The message of a tRPC error envelope (`error.json.message`), else of a REST error body.
std::string upstreamMessage(const CivitaiReply& reply)
{
    if (reply.json) {
        if (const auto error = reply.json->getObject("error")) {
            const auto inner = error->getObject("json") ? error->getObject("json") : error;
            if (inner->has("message") && inner->get("message").isString())
                return inner->getValue<std::string>("message");
        }
        if (reply.json->has("error") && reply.json->get("error").isString())
            return reply.json->getValue<std::string>("error");
    }
    return "no details";
}

} // namespace

ImageRouteSettings ImageRouteSettings::fromConfig(const Config& config, const std::filesystem::path& catalogDir)
{
    auto positive = [&](const std::string& key, long long fallback) {
        const long long value = config.getInt(key, fallback);
        if (value <= 0)
            throw std::invalid_argument(config.fullKey(key) + " must be a positive number");
        return value;
    };
    ImageRouteSettings settings;
    settings.endpoint.baseUrl = config.getString("downloads.civitai.base_url", "https://civitai.com");
    settings.endpoint.timeout = std::chrono::milliseconds(positive("catalog.civitai.timeout_ms", 15000));
    settings.serverApiKey = config.getString("catalog.civitai.api_key", "");
    settings.maxResolvedDeps = static_cast<std::size_t>(positive("catalog.image.max_resolved_deps", 8));
    settings.assets.directory = catalogDir / "assets";
    settings.assets.allowedHosts = config.getList("catalog.civitai.image_hosts", {"image.civitai.com"});
    settings.assets.maxBytes = static_cast<std::uint64_t>(positive("catalog.civitai.asset_max_bytes", 100ll << 20));
    settings.assets.timeout = std::chrono::milliseconds(positive("catalog.civitai.asset_timeout_ms", 60000));
    return settings;
}

ImageRoutes::ImageRoutes(HttpClient& http, CatalogLookup& catalog, Audit& audit, UserKey userKey,
                         ImageRouteSettings settings)
    : _http(http), _catalog(catalog), _audit(audit), _userKey(std::move(userKey)), _settings(std::move(settings))
{
}

void ImageRoutes::addTo(RouteRegistry& routes)
{
    routes.add(RouteSpec::make(
        "GET", "/api/admin/civitai/image/{image_id}", Access::Permission,
        "CivitAI generation data of an image with catalog status and hidden dependencies",
        [this](HttpExchange& exchange) { imageInfo(exchange); }, "can_access_api"));
    routes.add(RouteSpec::make(
        "POST", "/api/admin/civitai/download-asset/{image_id}", Access::Permission,
        "store a CivitAI image's media file in <catalog.dir>/assets",
        [this](HttpExchange& exchange) { downloadAsset(exchange); }, "can_manage_catalog"));
}

std::int64_t ImageRoutes::imageIdOf(HttpExchange& exchange)
{
    const std::string& text = exchange.param("image_id");
    const bool digits = !text.empty() && text.size() <= 15 && std::all_of(text.begin(), text.end(), [](char c) {
        return std::isdigit(static_cast<unsigned char>(c));
    });
    if (!digits || std::stoll(text) <= 0)
        throw HttpError(400, "image_id must be a positive integer", "invalid_request");
    return std::stoll(text);
}

CivitaiClient ImageRoutes::civitaiFor(const std::string& userId) const
{
    const auto userKey = _userKey ? _userKey(userId) : std::nullopt;
    return CivitaiClient(_http, _settings.endpoint, userKey && !userKey->empty() ? *userKey : _settings.serverApiKey);
}

void ImageRoutes::imageInfo(HttpExchange& exchange)
{
    const auto imageId = imageIdOf(exchange);
    auto civitai = civitaiFor(exchange.principal().userId);
    CivitaiReply reply;
    try {
        reply = civitai.generationData(imageId);
    } catch (const HttpClientError& error) {
        throw HttpError(502, std::string("CivitAI could not be reached: ") + error.what(), "upstream_unreachable");
    }
    if (reply.status != 200) {
        const int status = reply.status >= 400 && reply.status <= 599 ? static_cast<int>(reply.status) : 502;
        throw HttpError(status, "CivitAI answered " + std::to_string(reply.status) + ": " + upstreamMessage(reply),
                        "civitai_error");
    }
    GenerationData data;
    try {
        data = GenerationEnvelope::parse(reply.body);
    } catch (const MalformedEnvelope& error) {
        throw HttpError(502, std::string("CivitAI's generation data could not be read: ") + error.what(),
                        "bad_upstream");
    }
    DependencyResolver resolver(civitai);
    auto report = ImageReport(_catalog, resolver, _settings.maxResolvedDeps).build(data.payload);
    report->set("wire_format", data.wireFormat);
    exchange.sendJson(200, report);
}

void ImageRoutes::downloadAsset(HttpExchange& exchange)
{
    const auto imageId = imageIdOf(exchange);
    auto civitai = civitaiFor(exchange.principal().userId);
    const std::string target = "civitai-image:" + std::to_string(imageId);
    Poco::JSON::Object::Ptr stored;
    try {
        stored = ImageAssetStore(_http, _settings.assets).store(civitai, imageId);
    } catch (const HttpError& error) {
        // A refused host or a failed fetch is worth a record too: it may be CivitAI's data
        // pointing somewhere it should not.
        Poco::JSON::Object refusal;
        refusal.set("status", error.status());
        refusal.set("error", std::string(error.what()));
        std::ostringstream detail;
        refusal.stringify(detail);
        _audit.record({exchange.principal().username, "catalog.asset.refused", target, exchange.client().toString(),
                       detail.str()});
        throw;
    }
    std::ostringstream detail;
    Poco::JSON::Stringifier::stringify(stored, detail);
    _audit.record(
        {exchange.principal().username, "catalog.asset.download", target, exchange.client().toString(), detail.str()});
    exchange.sendJson(200, stored);
}

} // namespace comfygate::civitaicatalog
