#pragma once

#include "FileRef.h"
#include "NsfwTags.h"
#include "OutputFiles.h"
#include "UpstreamHosts.h"

#include <Poco/Dynamic/Var.h>

#include <optional>
#include <string>

namespace comfygate {
class HttpExchange;
class Policy;
class RouteRegistry;
class ServiceRegistry;
} // namespace comfygate

namespace comfygate::comfyproxy {

/// GET /view (and /api/view) per user. The reference is parsed like ComfyUI does and
/// refused with 400 where ComfyUI would (and for `..`, backslashes and control characters
/// anywhere); a file the caller may not read (OutputFiles) answers exactly like a missing one
/// (404, empty body). Every file that is served first passes the `view` policy hook with
/// the caller's sfw_check, the stored NSFW tag (NsfwTags) and, for PNGs, the positive prompt
/// from the `prompt` text chunk; a deny is 403 "NSFW content blocked for this user." and the
/// reason. The file itself is streamed (Range, preview and channel pass through).
class ViewRoutes
{
public:
    ViewRoutes(UpstreamHosts& hosts, OutputFiles& files, NsfwTags& tags, Policy& policy, ServiceRegistry& services)
        : _hosts(hosts), _files(files), _tags(tags), _policy(policy), _services(services)
    {
    }
    void registerAll(RouteRegistry& routes);

private:
    void view(HttpExchange& exchange);
    /// The `view` hook's verdict for the file; "" when allowed, else the text of the 403.
    std::optional<std::string> nsfwRefusal(HttpExchange& exchange, const FileRef& file,
                                           const std::optional<std::string>& promptText);
    /// The prompt text of a PNG read apart from the answer the client gets (which may be a
    /// range, a re-encoded preview or a single channel and so lack the text chunks).
    std::optional<std::string> promptTextOfRawFile(HttpExchange& exchange, UpstreamClient& upstream,
                                                   const std::string& path);
    /// The host that has the file: the one that ran the prompt that wrote it (OutputFiles), else
    /// the first reachable host that answers a HEAD of `path` with 200, else the first host.
    UpstreamClient& hostWithFile(HttpExchange& exchange, const FileRef& file, const std::string& path);
    Poco::Dynamic::Var subjectOf(HttpExchange& exchange);

    UpstreamHosts& _hosts;
    OutputFiles& _files;
    NsfwTags& _tags;
    Policy& _policy;
    ServiceRegistry& _services;
};

} // namespace comfygate::comfyproxy
