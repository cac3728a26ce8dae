#pragma once

#include "OutputFiles.h"
#include "UpstreamHosts.h"

#include <cstdint>
#include <optional>
#include <string>

namespace comfygate {
class HttpExchange;
class Policy;
class RouteRegistry;
} // namespace comfygate

namespace comfygate::comfyproxy {

class UploadForm;

/// POST /upload/image and /upload/mask per user. The form is read into bounded memory
/// (UploadForm) and sent on with `type` input (default) or temp only, and `subfolder` moved
/// to `<user id>/<the client's subfolder>`, so an upload (and `overwrite`) only ever touches
/// the caller's own files. ComfyUI's answer, which names the rewritten subfolder, goes back
/// as it is: that is the subfolder LoadImage and /view must name. A mask's `original_ref`
/// must be a file the caller may read (OutputFiles), else 404 like a missing file.
/// With comfy.separate_users off the subfolder is only normalised and type output is allowed,
/// as in ComfyUI. The `upload` policy hook (fail closed) sees every upload once the form is
/// read: {kind, filename, subfolder, type, content_type, size_bytes, overwrite}; a deny is 403
/// `{"error": <reason>}` and nothing reaches ComfyUI. With several ComfyUI hosts
/// (comfy.upstreams) the file goes to every host that is up, so that a prompt loading it runs
/// wherever it lands; the client gets the first host's answer.
class UploadRoutes
{
public:
    UploadRoutes(UpstreamHosts& hosts, OutputFiles& files, Policy& policy, std::string stagingDir,
                 std::uint64_t maxBytes, bool separateUsers)
        : _hosts(hosts), _upstream(hosts.primary().client()), _files(files), _policy(policy), _stagingDir(std::move(stagingDir)), _maxBytes(maxBytes),
          _separateUsers(separateUsers)
    {
    }
    void registerAll(RouteRegistry& routes);

    /// The subfolder an upload of this user goes to: `<userId>/<normalised client folder>`
    /// (a folder already starting with `<userId>/` is kept). Throws FileRef::Invalid.
    static std::string userFolder(const std::string& userId, const std::string& clientFolder);

private:
    void upload(HttpExchange& exchange, bool mask);
    /// The `upload` hook's deny reason, or nothing when allowed.
    std::optional<std::string> uploadRefusal(HttpExchange& exchange, const UploadForm& form, bool mask);
    /// Sends the form to every other host that is up (their answers are read and dropped).
    void copyToOtherHosts(HttpExchange& exchange, const UploadForm& form);

    UpstreamHosts& _hosts;
    UpstreamClient& _upstream; ///< the first host's: its answer is the client's
    OutputFiles& _files;
    Policy& _policy;
    std::string _stagingDir;
    std::uint64_t _maxBytes;
    bool _separateUsers;
};

} // namespace comfygate::comfyproxy
