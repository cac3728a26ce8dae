#include "NsfwRoutes.h"

#include "comfygate/Audit.h"
#include "comfygate/HttpError.h"
#include "comfygate/HttpExchange.h"
#include "comfygate/Route.h"

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/NumberParser.h>
#include <Poco/Timestamp.h>

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
    auto list = RouteSpec::make(
        "GET", "/mss-login/api/nsfw-tags", Access::Permission,
        "the newest NSFW and safe tags (?nsfw_only=true, ?limit= up to 500)", [this](HttpExchange& e) { listTags(e); },
        "can_manage_nsfw");
    list.aliases = {"/api/mss-login/api/nsfw-tags"};
    routes.add(list);
}

void NsfwRoutes::listTags(HttpExchange& exchange)
{
    std::size_t limit = 100;
    if (const auto text = exchange.query("limit"); text && !text->empty()) {
        unsigned value = 0;
        if (!Poco::NumberParser::tryParseUnsigned(*text, value) || value == 0 || value > 500)
            throw HttpError::invalidParameter("limit", "a whole number from 1 to 500");
        limit = value;
    }
    const std::string only = exchange.query("nsfw_only").value_or("false");
    if (only != "true" && only != "false")
        throw HttpError::invalidParameter("nsfw_only", "true or false");
    Poco::JSON::Array::Ptr tags = new Poco::JSON::Array;
    for (const auto& entry : _tags.recent(limit, only == "true")) {
        Poco::JSON::Object::Ptr item = new Poco::JSON::Object;
        item->set("type", entry.type);
        item->set("subfolder", entry.subfolder);
        item->set("filename", entry.filename);
        item->set("is_nsfw", entry.tag.isNsfw);
        item->set("score", entry.tag.score);
        item->set("label", entry.tag.label);
        item->set("tagged_by", entry.taggedBy);
        item->set("tagged_at", Poco::DateTimeFormatter::format(
                                   Poco::Timestamp::fromEpochTime(static_cast<std::time_t>(entry.taggedAt)),
                                   Poco::DateTimeFormat::ISO8601_FORMAT));
        tags->add(item);
    }
    Poco::JSON::Object::Ptr body = new Poco::JSON::Object;
    body->set("tags", tags);
    exchange.sendJson(200, body);
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
