#pragma once

#include <string>
#include <vector>

namespace comfygate::services {

/// NSFW tags on ComfyUI output files (published by the comfy-proxy module as
/// "comfy.output_tags"). The `view` policy reads them; the policy function `policy.tag` in the
/// asynchronous `event` hook writes them, for example after asking a classifier about a
/// finished image.
class OutputTags
{
public:
    static constexpr const char* serviceName = "comfy.output_tags";

    virtual ~OutputTags() = default;

    /// Adds `tags` to the file's tags (idempotent). The file is ComfyUI's (filename, subfolder,
    /// type) triple as `/view` takes it. Throws std::invalid_argument for an unsafe name.
    virtual void tag(const std::string& filename, const std::string& subfolder, const std::string& type,
                     const std::vector<std::string>& tags) = 0;
};

} // namespace comfygate::services
