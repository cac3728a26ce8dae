#pragma once

#include "comfygate/Database.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace comfygate::modeldownload {

/// A finished model file as one user's Comfy Cloud asset.
struct AssetRecord
{
    std::string id;
    std::string userId;
    std::string name;
    std::string path; ///< relative to comfy.models_dir
    std::int64_t size = 0;
    std::string sha256;
    std::string tagsJson = "[]";
    std::string userMetadataJson = "{}";
    std::string previewId;
    std::int64_t createdAt = 0;
    std::int64_t updatedAt = 0;
};

/// A Comfy Cloud download task: the download job of the same id plus what the Cloud request
/// carried (source_url, tags, user_metadata, preview_id) and, once done, its asset.
struct AssetTask
{
    std::string id; ///< == the download job's id
    std::string userId;
    std::string payloadJson;
    std::string assetId;
    std::int64_t createdAt = 0;
};

/// The cloud_asset_tasks and cloud_assets tables.
class AssetStore
{
public:
    explicit AssetStore(Database& database) : _database(database) {}

    void insertTask(const AssetTask& task);
    void removeTask(const std::string& taskId);
    std::optional<AssetTask> findTask(const std::string& taskId);

    std::optional<AssetRecord> findAsset(const std::string& assetId);
    /// The user's asset for this file (same path and content), if any.
    std::optional<AssetRecord> findAsset(const std::string& userId, const std::string& path, const std::string& sha256);
    void insertAsset(const AssetRecord& asset);

    /// The task's asset, in one transaction so a task never gets two: the one already
    /// attached, else the owner's asset for the same file, else `candidate` (inserted).
    AssetRecord attachAsset(const std::string& taskId, const AssetRecord& candidate);

private:
    /// The first asset matching `condition` (SQL after WHERE) with `values` bound in order.
    std::optional<AssetRecord> selectAsset(Poco::Data::Session& session, const std::string& condition,
                                           std::vector<std::string> values);
    void insertAsset(Poco::Data::Session& session, const AssetRecord& asset);

    Database& _database;
};

} // namespace comfygate::modeldownload
