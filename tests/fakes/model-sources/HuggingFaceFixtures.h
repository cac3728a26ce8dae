#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace comfygate::fakes {

/// One path of a commit; its bytes come from the fixture file `fileKey`.
struct HfEntry
{
    std::string path; ///< e.g. "unet/model.safetensors"
    std::string fileKey;
    std::optional<bool> lfs; ///< unset: LFS when above the fake's threshold (10 MiB)
};

struct HfCommit
{
    HfCommit() = default;
    HfCommit(std::string sha, std::vector<HfEntry> files) : sha(std::move(sha)), files(std::move(files)) {}

    std::string sha; ///< 40 hex
    std::vector<HfEntry> files;
    std::string title = "Upload folder using huggingface_hub";
    std::string date = "2026-01-01T00:00:00.000Z";
};

/// A Hugging Face repository: revisions (branch/tag → commit) and the commits' trees.
struct HfRepo
{
    std::string id;             ///< "org/name"
    std::string type = "model"; ///< model | dataset
    bool isPrivate = false;     ///< readable only with a token granted the repo (TokenInfo::hfGatedAccess)
    std::string gated;          ///< "" | "auto" | "manual"
    bool disabled = false;
    std::string renamedFrom;                      ///< the old id: requests for it get a relative 307 to this repo
    std::map<std::string, std::string> revisions; ///< "main" → sha, "v1.0" → sha
    std::vector<HfCommit> commits;
    std::vector<std::string> tags;
    std::string libraryName;
};

} // namespace comfygate::fakes
