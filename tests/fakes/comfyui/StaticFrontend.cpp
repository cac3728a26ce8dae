#include "StaticFrontend.h"

#include "WebFiles.h"

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/DateTimeParser.h>
#include <Poco/NumberFormatter.h>

#include <functional>

namespace comfygate::fakes {

StaticFrontend::StaticFrontend()
{
    // HTTP dates have whole seconds: a Last-Modified sent back must compare equal.
    _modified = Poco::Timestamp::fromEpochTime(_modified.epochTime());
    const std::string noCache = "no-cache";
    const std::string script = "text/javascript; charset=utf-8";
    add("/", webFile("index.html"), "text/html; charset=utf-8", noCache);
    add("/index.html", webFile("index.html"), "text/html; charset=utf-8", noCache);
    add("/assets/index-fake.js", webFile("index-fake.js"), script, "public, max-age=31536000, immutable");
    add("/scripts/app.js", webFile("app-shim.js"), script, noCache);
    for (const char* name : {"clipspace.js", "groupNode.js", "maskeditor.js", "uploadImage.js"})
        add(std::string("/extensions/core/") + name, webFile("core-extension.js"), script, noCache);
    add("/templates/default.json", "{\"nodes\":[],\"links\":[]}", "application/json", noCache);
    add("/docs/SaveImage/en.md", "# Save Image\n", "text/markdown", noCache);
    add("/user.css", "", "text/css", noCache);
    add("/favicon.ico", std::string("\0\0\1\0", 4), "image/x-icon", "public, max-age=86400");
}

void StaticFrontend::add(const std::string& path, const std::string& content, const std::string& contentType,
                         const std::string& cacheControl)
{
    const std::string etag = "\"" + Poco::NumberFormatter::formatHex(std::hash<std::string>{}(content)) + "-" +
                             Poco::NumberFormatter::formatHex(content.size()) + "\"";
    _files[path] = File{content, contentType, cacheControl, etag};
}

bool StaticFrontend::notModified(const Poco::Net::HTTPServerRequest& request, const File& file) const
{
    if (request.has("If-None-Match"))
        return request.get("If-None-Match").find(file.etag) != std::string::npos;
    if (!request.has("If-Modified-Since"))
        return false;
    Poco::DateTime since;
    int zone = 0;
    if (!Poco::DateTimeParser::tryParse(Poco::DateTimeFormat::HTTP_FORMAT, request.get("If-Modified-Since"), since,
                                        zone))
        return false;
    return _modified <= since.timestamp();
}

bool StaticFrontend::serve(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) const
{
    const std::string& uri = request.getURI();
    const auto file = _files.find(uri.substr(0, uri.find('?')));
    if (file == _files.end() || (request.getMethod() != "GET" && request.getMethod() != "HEAD"))
        return false;
    response.set("ETag", file->second.etag);
    response.set("Last-Modified", Poco::DateTimeFormatter::format(_modified, Poco::DateTimeFormat::HTTP_FORMAT));
    response.set("Cache-Control", file->second.cacheControl);
    if (notModified(request, file->second)) {
        response.setStatusAndReason(Poco::Net::HTTPResponse::HTTP_NOT_MODIFIED);
        response.send();
        return true;
    }
    response.setContentType(file->second.contentType);
    response.setContentLength64(static_cast<Poco::Int64>(file->second.content.size()));
    std::ostream& body = response.send();
    if (request.getMethod() != "HEAD")
        body << file->second.content;
    return true;
}

} // namespace comfygate::fakes
