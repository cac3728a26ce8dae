#include "ImageAssetStore.h"

#include "comfygate/AtomicFile.h"
#include "comfygate/HttpError.h"

#include <Poco/DigestEngine.h>
#include <Poco/JSON/Array.h>
#include <Poco/Path.h>
#include <Poco/SHA2Engine.h>
#include <Poco/String.h>
#include <Poco/URI.h>

#include <algorithm>
#include <map>

#include <filesystem>

namespace comfygate::civitaicatalog {

namespace {

const std::map<std::string, std::string> extensionByType{{"image/jpeg", "jpeg"}, {"image/png", "png"},
                                                         {"image/webp", "webp"}, {"image/gif", "gif"},
                                                         {"video/mp4", "mp4"},   {"video/webm", "webm"}};

std::string mediaType(const HttpClientResponse& response)
{
    std::string type = Poco::toLower(response.header("content-type").value_or(""));
    return Poco::trim(type.substr(0, type.find(';')));
}

/// The extension comes from the media type CivitAI's host declares, never from the URL, so a
/// stored name is always one of a fixed few.
std::string extensionFor(const std::string& type)
{
    const auto found = extensionByType.find(type);
    if (found == extensionByType.end())
        throw HttpError(502, "the CivitAI image host answered '" + type + "', not an image or video", "bad_upstream");
    return found->second;
}

} // namespace

bool ImageAssetStore::allowedUrl(const std::string& url) const
{
    try {
        const Poco::URI uri(url);
        const std::string scheme = Poco::toLower(uri.getScheme());
        if (scheme != "https" && scheme != "http")
            return false;
        if (!uri.getUserInfo().empty())
            return false;
        const std::string host = Poco::toLower(uri.getHost());
        return std::any_of(_settings.allowedHosts.begin(), _settings.allowedHosts.end(),
                           [&](const std::string& allowed) { return Poco::toLower(allowed) == host; });
    } catch (const Poco::Exception&) {
        return false;
    }
}

std::string ImageAssetStore::imageUrl(CivitaiClient& civitai, std::int64_t imageId) const
{
    CivitaiReply reply;
    try {
        reply = civitai.image(imageId);
    } catch (const HttpClientError& error) {
        throw HttpError(502, std::string("CivitAI could not be reached: ") + error.what(), "upstream_unreachable");
    }
    if (reply.status != 200)
        throw HttpError(reply.status == 404 ? 404 : 502,
                        "CivitAI answered " + std::to_string(reply.status) + " to /api/v1/images", "bad_upstream");
    const auto items = reply.json ? reply.json->getArray("items") : nullptr;
    if (!items)
        throw HttpError(502, "CivitAI's /api/v1/images answer has no items", "bad_upstream");
    if (items->size() == 0)
        throw HttpError(404, "CivitAI lists no image " + std::to_string(imageId), "not_found");
    const auto item = items->getObject(0);
    if (!item || !item->has("url") || !item->get("url").isString())
        throw HttpError(502, "CivitAI's image " + std::to_string(imageId) + " has no url", "bad_upstream");
    return item->getValue<std::string>("url");
}

Poco::JSON::Object::Ptr ImageAssetStore::store(CivitaiClient& civitai, std::int64_t imageId)
{
    const std::string url = imageUrl(civitai, imageId);
    if (!allowedUrl(url))
        throw HttpError(502, "refusing the image URL " + url + ": its host is not an allowed CivitAI image host",
                        "host_not_allowed");

    HttpClientRequest request;
    request.url = url;
    request.totalTimeout = _settings.timeout;
    request.maxBytes = _settings.maxBytes;
    request.allowRedirect = [this](const std::string& target) { return allowedUrl(target); };
    HttpClientResponse response;
    try {
        response = _http.perform(request);
    } catch (const HttpClientError& error) {
        throw HttpError(502, std::string("the image could not be fetched: ") + error.what(), "upstream_unreachable");
    }
    if (response.status != 200)
        throw HttpError(502, "the CivitAI image host answered " + std::to_string(response.status), "bad_upstream");
    const std::string type = mediaType(response);
    const std::string extension = extensionFor(type);
    const std::string fileName = std::to_string(imageId) + "." + extension;
    std::filesystem::create_directories(_settings.directory);
    AtomicFile::write((_settings.directory / fileName).string(), response.body);

    Poco::SHA2Engine sha256(Poco::SHA2Engine::SHA_256);
    sha256.update(response.body);
    Poco::JSON::Object::Ptr stored = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    stored->set("status", "stored");
    stored->set("image_id", imageId);
    stored->set("file", fileName);
    stored->set("path", "assets/" + fileName);
    stored->set("bytes", static_cast<std::uint64_t>(response.body.size()));
    stored->set("sha256", Poco::DigestEngine::digestToHex(sha256.digest()));
    stored->set("content_type", type);
    stored->set("source_url", url);
    return stored;
}

} // namespace comfygate::civitaicatalog
