#pragma once

#include "DownloadJobStore.h"
#include "FileTransfer.h"

#include <filesystem>
#include <string>
#include <vector>

namespace comfygate {
class Config;
}

namespace comfygate::modeldownload {

/// The module's configuration (the `downloads.*` keys, `comfy.models_dir` and the
/// experimental switches), read once at start.
struct DownloadSettings
{
    ConcurrencyLimits limits;
    int maxUnfinishedPerUser = 20;
    int leaseSeconds = 30;
    int jobListLimit = 200;

    std::filesystem::path modelsDir; ///< absolute
    std::vector<std::string> folders;
    std::string defaultFolder = "checkpoints";

    std::vector<std::string> civitaiHosts; ///< the first is the default
    std::string civitaiBaseUrl;
    std::string huggingfaceBaseUrl;
    bool civitaiRequiresKey = true;
    bool huggingfaceRequiresKey = false;

    bool modelIsolation = false;
    bool s3 = false;

    FileTransfer::Settings transfer;

    static DownloadSettings fromConfig(const Config& global);

    bool requiresKey(const std::string& source) const
    {
        return source == "civitai" ? civitaiRequiresKey : huggingfaceRequiresKey;
    }
    /// Where a finished file of this folder type goes for this user.
    std::filesystem::path directoryFor(const std::string& folderType, const std::string& userId) const;
};

} // namespace comfygate::modeldownload
