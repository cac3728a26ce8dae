#include "ConsoleRoutes.h"

#include "ConsoleFiles.h"
#include "Router.h"
#include "comfygate/HttpError.h"
#include "comfygate/HttpExchange.h"

#include <Poco/String.h>
#include <Poco/StringTokenizer.h>

#include <memory>

namespace comfygate {
namespace {

/// Scripts and styles have no version in their names (there is no bundler), so a browser
/// keeps them only briefly before it asks again with If-None-Match.
constexpr const char* assetCacheControl = "max-age=300";

bool notModified(const Poco::Net::HTTPRequest& request, const std::string& etag)
{
    const std::string header = request.get("If-None-Match", "");
    if (header.empty())
        return false;
    Poco::StringTokenizer tags(header, ",", Poco::StringTokenizer::TOK_TRIM | Poco::StringTokenizer::TOK_IGNORE_EMPTY);
    for (const auto& tag : tags) {
        // If-None-Match compares weakly (RFC 9110 13.1.2): W/"x" matches "x".
        if (tag == "*" || tag == etag || (tag.rfind("W/", 0) == 0 && tag.substr(2) == etag))
            return true;
    }
    return false;
}

void serve(const ConsoleFiles& files, const std::string& relative, HttpExchange& exchange)
{
    const auto file = files.find(relative);
    if (!file) {
        if (relative.empty() || ConsoleFiles::looksLikePage(relative))
            throw HttpError(503, "the web console's files are not installed: set http.www_dir to the directory "
                                 "that holds console/index.html");
        throw HttpError(404, "no console file " + relative);
    }
    auto& response = exchange.response();
    response.set("ETag", file->etag);
    response.set("Cache-Control", file->name == ConsoleFiles::indexName ? "no-cache" : assetCacheControl);
    if (notModified(exchange.request(), file->etag)) {
        response.setStatusAndReason(Poco::Net::HTTPResponse::HTTP_NOT_MODIFIED);
        response.send();
        return;
    }
    exchange.sendText(200, file->contentType, file->body);
}

} // namespace

void ConsoleRoutes::registerAll()
{
    const auto files = std::make_shared<const ConsoleFiles>(std::filesystem::path(_wwwDir) / "console");

    auto page = RouteSpec::make("GET", "/console", Access::Public,
                                "the web console's page (its data comes from the API routes, which check access)",
                                [files](HttpExchange& exchange) { serve(*files, "", exchange); });
    page.aliases = {"/console/"};
    _router.add(page, "kernel");

    _router.add(RouteSpec::make("GET", "/console/{path...}", Access::Public,
                                "a file of the web console (http.www_dir/console); pages of its router get index.html",
                                [files](HttpExchange& exchange) { serve(*files, exchange.param("path"), exchange); }),
                "kernel");
}

} // namespace comfygate
