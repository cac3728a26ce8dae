#include "NsfwRoutes.h"

#include "comfygate/Audit.h"
#include "comfygate/HttpError.h"
#include "comfygate/HttpExchange.h"
#include "comfygate/Route.h"

#include <Poco/JSON/Object.h>

#include <chrono>
#include <cmath>
#include <sstream>

namespace comfygate::comfyproxy {
namespace {

std::string optionalString(const Poco::JSON::Object::Ptr& body, const std::string& key, const std::string& fallback)
{
    if (!body->has(key) || body->isNull(key))
        return fallback;
    if (!body->get(key).isString())
        throw HttpError(400, key + " must be a string");
    return body->getValue<std::string>(key);
}

} // namespace

void NsfwRoutes::registerAll(RouteRegistry& routes)
{
    routes.add(RouteSpec::make(
        "POST", "/mss-login-gallery/mark-nsfw", Access::Permission,
        "tag a file NSFW or safe (kept on the server, not in the file)", [this](HttpExchange& e) { markNsfw(e); },
        "can_manage_nsfw"));
}

void NsfwRoutes::markNsfw(HttpExchange& exchange)
{
    const auto body = exchange.jsonBody();
    const std::string filename = optionalString(body, "filename", "");
    if (filename.empty())
        throw HttpError(400, "filename is required");
    const std::string type = optionalString(body, "type", "output");
    if (type != "output" && type != "input" && type != "temp")
        throw HttpError(400, "type must be output, input or temp");
    NsfwTags::Tag tag;
    if (body->has("is_nsfw")) {
        if (!body->get("is_nsfw").isBoolean())
            throw HttpError(400, "is_nsfw must be true or false");
        tag.isNsfw = body->getValue<bool>("is_nsfw");
    }
    if (body->has("score")) {
        if (!body->get("score").isNumeric())
            throw HttpError(400, "score must be a number from 0 to 1");
        tag.score = body->getValue<double>("score");
        if (!std::isfinite(tag.score) || tag.score < 0 || tag.score > 1)
            throw HttpError(400, "score must be a number from 0 to 1");
    }
    tag.label = optionalString(body, "label", "manual");
    if (tag.label.empty() || tag.label.size() > 64)
        throw HttpError(400, "label must be 1 to 64 characters");

    FileRef file;
    try {
        file = FileRef::fromView(filename, type, optionalString(body, "subfolder", ""));
    } catch (const FileRef::Invalid& invalid) {
        throw HttpError(403, "invalid file path: " + invalid.reason);
    }
    const auto answer = _upstream.fetch("HEAD", "/view?" + file.viewQuery());
    if (answer.status == 404)
        throw HttpError(404, "no such file: " + file.describe());
    if (answer.status != 200)
        throw HttpError(502, "ComfyUI answered status " + std::to_string(answer.status) + " for " + file.describe());

    const auto now =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    _tags.mark(file, tag, exchange.principal().username, now);
    Poco::JSON::Object::Ptr detail = new Poco::JSON::Object;
    detail->set("is_nsfw", tag.isNsfw);
    detail->set("score", tag.score);
    detail->set("label", tag.label);
    std::ostringstream detailJson;
    detail->stringify(detailJson);
    _audit.record(
        {exchange.principal().username, "nsfw.mark", file.describe(), exchange.client().toString(), detailJson.str()});

    Poco::JSON::Object::Ptr result = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    result->set("status", "ok");
    result->set("message", file.describe() + (tag.isNsfw ? " is now tagged NSFW" : " is now tagged safe"));
    result->set("filename", file.filename);
    result->set("is_nsfw", tag.isNsfw);
    exchange.sendJson(200, result);
}

} // namespace comfygate::comfyproxy
