#include "ViewRoutes.h"

#include "comfygate/HttpError.h"

#include "PngText.h"
#include "PositivePrompt.h"

#include "comfygate/HttpExchange.h"
#include "comfygate/Policy.h"
#include "comfygate/PolicySubject.h"
#include "comfygate/Route.h"
#include "comfygate/ServiceRegistry.h"
#include "comfygate/services/UserDirectory.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/String.h>

namespace comfygate::comfyproxy {
namespace {

/// ComfyUI's bodiless error (aiohttp's `web.Response(status=...)`), so a refused file and a
/// missing one cannot be told apart.
void sendEmpty(HttpExchange& exchange, int status)
{
    auto& response = exchange.response();
    response.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
    response.setContentType("application/octet-stream");
    response.setContentLength(0);
    response.send();
}

std::optional<std::string> promptTextOf(const std::map<std::string, std::string>& texts)
{
    const auto prompt = texts.find("prompt");
    if (prompt == texts.end())
        return std::nullopt;
    return PositivePrompt::fromGraphJson(prompt->second);
}

bool endsWithPng(const std::string& name)
{
    return name.size() >= 4 && Poco::icompare(name.substr(name.size() - 4), ".png") == 0;
}

} // namespace

void ViewRoutes::registerAll(RouteRegistry& routes)
{
    auto view = RouteSpec::make(
        "GET", "/view", Access::Permission, "one of your files (input uploads, outputs, previews), NSFW policy applied",
        [this](HttpExchange& e) { this->view(e); }, "can_access_api");
    view.apiTwin = true;
    routes.add(view);
}

void ViewRoutes::view(HttpExchange& exchange)
{
    const auto filename = exchange.query("filename");
    if (!filename)
        return sendEmpty(exchange, 404); // like ComfyUI
    FileRef file;
    try {
        file = FileRef::fromView(*filename, exchange.query("type"), exchange.query("subfolder"));
    } catch (const FileRef::Invalid&) {
        return sendEmpty(exchange, 400);
    }
    // Another user's file must look exactly like one that does not exist.
    if (!_files.mayRead(exchange.principal(), file))
        return sendEmpty(exchange, 404);

    const bool twin = exchange.request().getURI().rfind("/api/", 0) == 0;
    const std::string rawPath = std::string(twin ? "/api/view?" : "/view?") + file.viewQuery();
    std::string path = rawPath;
    for (const char* option : {"preview", "channel"}) {
        if (const auto value = exchange.query(option))
            path += std::string("&") + option + "=" + FileRef::encodeQueryValue(*value);
    }
    // The client gets the raw file from its first byte only without Range, preview and channel;
    // otherwise the text chunks are read from a separate request for the raw file.
    const bool rawFromStart =
        path == rawPath && !exchange.request().has("Range") && exchange.request().getMethod() == "GET";
    std::optional<std::string> promptText;
    UpstreamClient& upstream = hostWithFile(exchange, file, rawPath);
    if (!rawFromStart && endsWithPng(file.filename))
        promptText = promptTextOfRawFile(exchange, upstream, rawPath);

    UpstreamRequest request = upstream.requestFor(exchange, path);
    UpstreamClient::Stream stream = upstream.open(request);
    std::string head;
    const auto status = stream.answer.getStatus();
    if (status == Poco::Net::HTTPResponse::HTTP_OK || status == Poco::Net::HTTPResponse::HTTP_PARTIAL_CONTENT) {
        if (rawFromStart)
            promptText = promptTextOf(PngText::read(*stream.body, head));
        // Returning drops the stream: the upstream connection closes with the file unread.
        if (auto refusal = nsfwRefusal(exchange, file, promptText))
            return exchange.sendText(403, "text/plain; charset=utf-8", *refusal);
    }
    upstream.relay(exchange, stream, head);
}

UpstreamClient& ViewRoutes::hostWithFile(HttpExchange& exchange, const FileRef& file, const std::string& path)
{
    if (!_hosts.several())
        return _hosts.primary().client();
    if (UpstreamHost* host = _files.hostOf(exchange.principal().userId, file))
        return host->client();
    for (UpstreamHost* host : _hosts.reachable()) {
        try {
            if (host->client().fetch("HEAD", path).status == 200)
                return host->client();
        } catch (const HttpError&) {
        }
    }
    return _hosts.primary().client();
}

std::optional<std::string> ViewRoutes::promptTextOfRawFile(HttpExchange& exchange, UpstreamClient& upstream,
                                                           const std::string& path)
{
    UpstreamRequest request = upstream.requestFor(exchange, path);
    request.setMethod("GET");
    for (const char* conditional : {"Range", "If-Range", "If-None-Match", "If-Modified-Since"})
        request.erase(conditional);
    UpstreamClient::Stream stream = upstream.open(request);
    if (stream.answer.getStatus() != Poco::Net::HTTPResponse::HTTP_OK)
        return std::nullopt;
    std::string head;
    return promptTextOf(PngText::read(*stream.body, head));
}

Poco::Dynamic::Var ViewRoutes::subjectOf(HttpExchange& exchange)
{
    const Principal& user = exchange.principal();
    Poco::JSON::Object::Ptr subject = policySubject(exchange);
    // The directory has the current flag and groups even when an admin changed them after the
    // token was issued.
    if (auto directory = _services.find<services::UserDirectory>(services::UserDirectory::serviceName)) {
        if (auto info = directory->findById(user.userId)) {
            Poco::JSON::Array::Ptr groups = new Poco::JSON::Array;
            for (const auto& group : info->groups)
                groups->add(group);
            subject->set("groups", groups);
            subject->set("sfw_check", info->sfwCheck || user.role == "guest");
        }
    }
    return subject;
}

std::optional<std::string> ViewRoutes::nsfwRefusal(HttpExchange& exchange, const FileRef& file,
                                                   const std::optional<std::string>& promptText)
{
    Poco::JSON::Object::Ptr request = new Poco::JSON::Object;
    request->set("filename", file.filename);
    request->set("subfolder", file.subfolder);
    request->set("type", file.type);
    if (const auto tag = _tags.find(file))
        request->set("nsfw", tag->isNsfw);
    if (promptText)
        request->set("prompt_text", *promptText);
    const Verdict verdict = _policy.call("view", subjectOf(exchange), request);
    if (verdict.allowed())
        return std::nullopt;
    return "NSFW content blocked for this user." + (verdict.reason.empty() ? "" : " " + verdict.reason);
}

} // namespace comfygate::comfyproxy
