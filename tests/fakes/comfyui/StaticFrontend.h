#pragma once

#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Timestamp.h>

#include <map>
#include <string>

namespace comfygate::fakes {

/// ComfyUI's static web root as the fake serves it (web/, embedded): `/` and `/index.html`, a
/// front end that boots like ComfyUI's (`/assets/index-fake.js`), the `/scripts/app.js` shim
/// extensions import, the core extension scripts `/extensions` lists, a template, a doc page,
/// `/user.css` and `/favicon.ico`. Cache headers as aiohttp's static files: `ETag`,
/// `Last-Modified`, `If-None-Match` / `If-Modified-Since` → 304, HEAD; `Cache-Control` as
/// ComfyUI's middleware (`no-cache` for pages and scripts, a year for hashed assets).
class StaticFrontend
{
public:
    StaticFrontend();

    /// Answers a GET or HEAD of one of the files (bare path only, like ComfyUI's static routes);
    /// false when the path is not a file of the web root.
    bool serve(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) const;

private:
    struct File
    {
        std::string content;
        std::string contentType;
        std::string cacheControl;
        std::string etag;
    };

    void add(const std::string& path, const std::string& content, const std::string& contentType,
             const std::string& cacheControl);
    bool notModified(const Poco::Net::HTTPServerRequest& request, const File& file) const;

    std::map<std::string, File> _files;
    Poco::Timestamp _modified;
};

} // namespace comfygate::fakes
