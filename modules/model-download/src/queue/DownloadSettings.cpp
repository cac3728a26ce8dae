#include "DownloadSettings.h"

#include "comfygate/Config.h"

#include <stdexcept>

namespace comfygate::modeldownload {
namespace {

int positive(const Config& config, const std::string& key, long long fallback, long long minimum = 1)
{
    const long long value = config.getInt(key, fallback);
    if (value < minimum || value > 1000000)
        throw std::invalid_argument(config.fullKey(key) + " must be at least " + std::to_string(minimum));
    return static_cast<int>(value);
}

bool experimental(const Config& config, const std::string& feature)
{
    return config.getBool("experimental.enabled", false) || config.getBool("experimental." + feature, false);
}

} // namespace

DownloadSettings DownloadSettings::fromConfig(const Config& config)
{
    DownloadSettings s;
    s.limits.total = positive(config, "downloads.max_active", 5, 0); // 0 pauses the queue
    s.limits.civitai = positive(config, "downloads.max_active_civitai", 3);
    s.limits.huggingface = positive(config, "downloads.max_active_huggingface", 2);
    s.maxUnfinishedPerUser = positive(config, "downloads.max_queued_per_user", 20);
    s.leaseSeconds = positive(config, "downloads.lease_seconds", 30, 2);

    // Relative like data.dir: against the working directory.
    s.modelsDir = std::filesystem::absolute(config.getString("comfy.models_dir", "./var/models")).lexically_normal();
    s.folders = config.getList("downloads.folders", {"checkpoints", "loras", "vae"});
    if (s.folders.empty())
        throw std::invalid_argument(config.fullKey("downloads.folders") + " lists no folder");
    s.defaultFolder = s.folders.front();

    s.civitaiHosts = config.getList("downloads.civitai.hosts", {"civitai.com"});
    if (s.civitaiHosts.empty())
        throw std::invalid_argument(config.fullKey("downloads.civitai.hosts") + " lists no host");
    s.civitaiBaseUrl = config.getString("downloads.civitai.base_url", "https://civitai.com");
    s.huggingfaceBaseUrl = config.getString("downloads.huggingface.base_url", "https://huggingface.co");
    s.civitaiRequiresKey = config.getBool("downloads.civitai.require_api_key", true);
    s.huggingfaceRequiresKey = config.getBool("downloads.huggingface.require_api_key", false);

    s.modelIsolation = experimental(config, "model_isolation");
    s.s3 = experimental(config, "s3");

    s.transfer.maxAttempts = positive(config, "downloads.max_attempts", 6);
    s.transfer.retryBaseDelay = std::chrono::milliseconds(positive(config, "downloads.retry_base_ms", 1000));
    s.transfer.retryMaxDelay = std::chrono::milliseconds(positive(config, "downloads.retry_max_ms", 30000));
    s.transfer.stallTimeout = std::chrono::seconds(positive(config, "downloads.stall_seconds", 60));
    s.transfer.allowPrivateAddresses = config.getBool("downloads.allow_private_addresses", false);
    s.transfer.parallelConnections = positive(config, "downloads.parallel_connections", 1);
    if (s.transfer.parallelConnections > 16)
        throw std::invalid_argument(config.fullKey("downloads.parallel_connections") + " must be at most 16");
    s.transfer.parallelMinBytes = std::int64_t(positive(config, "downloads.parallel_min_mb", 64)) << 20;
    return s;
}

std::filesystem::path DownloadSettings::directoryFor(const std::string& folderType, const std::string& userId) const
{
    std::filesystem::path directory = modelsDir / folderType;
    if (modelIsolation) {
        if (userId.empty() || userId == "." || userId == ".." || userId.find_first_of("/\\") != std::string::npos)
            throw std::invalid_argument("user id '" + userId + "' cannot name a folder");
        directory /= userId;
    }
    return directory;
}

} // namespace comfygate::modeldownload
