#include "OutputTagService.h"

#include <algorithm>
#include <chrono>
#include <stdexcept>

namespace comfygate::comfyproxy {

void OutputTagService::tag(const std::string& filename, const std::string& subfolder, const std::string& type,
                           const std::vector<std::string>& tags)
{
    FileRef file;
    try {
        file = FileRef::fromView(filename, type, subfolder);
    } catch (const FileRef::Invalid& invalid) {
        throw std::invalid_argument("not a ComfyUI file reference: " + invalid.reason);
    }
    if (std::find(tags.begin(), tags.end(), "nsfw") == tags.end())
        return;
    std::string label;
    for (const auto& tag : tags)
        label += (label.empty() ? "" : ",") + tag;
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch()).count();
    _tags.mark(file, NsfwTags::Tag{true, 1.0, label}, "policy", now);
}

} // namespace comfygate::comfyproxy
