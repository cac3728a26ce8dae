#pragma once

#include "OutputFiles.h"
#include "UpstreamClient.h"
#include "UserScope.h"

#include "comfygate/Principal.h"

#include <Poco/JSON/Object.h>

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>

namespace comfygate::comfyproxy {

/// Refuses a workflow that names someone else's file (comfyui-api.md §9 "prompt contents"):
/// - any string input ending in "[output]" or "[temp]" must name a file the user may read
///   (OutputFiles, the /view rule);
/// - any string input ending in "[input]", and every value of an upload input (an input whose
///   /object_info options say `image_upload`, `video_upload`, ... : LoadImage, LoadImageMask,
///   ...) must lie in the user's own upload folder `<user id>/...`. A bare "photo.png" is a
///   shared or another user's file and is refused.
/// Which inputs are upload inputs is learnt from ComfyUI's /object_info/{class}, cached for
/// ten minutes per class. Users who see everyone (UserScope) are not checked.
class WorkflowFileCheck
{
public:
    WorkflowFileCheck(UpstreamClient& upstream, OutputFiles& files, bool separateUsers)
        : _upstream(upstream), _files(files), _scope(separateUsers)
    {
    }

    /// Why the graph may not run for this user (which node, which input), or nothing.
    std::optional<std::string> refusal(const Principal& user, const Poco::JSON::Object::Ptr& graph);

private:
    /// The names of the upload inputs of a node class (empty for unknown classes).
    std::set<std::string> uploadInputs(const std::string& classType);
    std::optional<std::string> checkValue(const Principal& user, const std::string& value, bool uploadInput);

    struct CachedClass
    {
        std::set<std::string> uploadInputs;
        std::chrono::steady_clock::time_point fetched;
    };

    UpstreamClient& _upstream;
    OutputFiles& _files;
    UserScope _scope;
    std::mutex _mutex;
    std::map<std::string, CachedClass> _classes;
};

} // namespace comfygate::comfyproxy
