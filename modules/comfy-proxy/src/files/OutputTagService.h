#pragma once

#include "NsfwTags.h"

#include "comfygate/services/OutputTags.h"

namespace comfygate::comfyproxy {

/// "comfy.output_tags" over the NSFW tag store: what `policy.tag(file, {"nsfw"})` writes (for
/// example after a classifier judged a finished image), so the `view` hook sees `nsfw = true`
/// for the file. The store keeps one verdict per file: a tag list holding "nsfw" marks the file
/// NSFW (score 1, label = the tags joined with ",", tagged_by "policy"); other tags alone
/// leave the file's verdict as it is (they have no column yet).
class OutputTagService : public services::OutputTags
{
public:
    explicit OutputTagService(NsfwTags& tags) : _tags(tags) {}

    void tag(const std::string& filename, const std::string& subfolder, const std::string& type,
             const std::vector<std::string>& tags) override;

private:
    NsfwTags& _tags;
};

} // namespace comfygate::comfyproxy
