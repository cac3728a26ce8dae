#include "AssetStore.h"

#include <Poco/Data/RecordSet.h>
#include <Poco/Data/Statement.h>

using namespace Poco::Data::Keywords;

namespace comfygate::modeldownload {
namespace {

const std::string assetColumns =
    "SELECT id, user_id, name, path, size, sha256, tags, user_metadata, preview_id, created_at, updated_at"
    " FROM cloud_assets WHERE ";

const std::string sameFile = "user_id = ? AND path = ? AND sha256 = ? ORDER BY created_at LIMIT 1";

std::string text(const Poco::Data::RecordSet& rows, std::size_t column)
{
    const Poco::Dynamic::Var value = rows.value(column, 0);
    return value.isEmpty() ? std::string() : value.convert<std::string>();
}

std::int64_t integer(const Poco::Data::RecordSet& rows, std::size_t column)
{
    const Poco::Dynamic::Var value = rows.value(column, 0);
    return value.isEmpty() ? 0 : value.convert<Poco::Int64>();
}

} // namespace

void AssetStore::insertTask(const AssetTask& task)
{
    auto session = _database.session();
    AssetTask row = task;
    session << _database.translate(
        "INSERT INTO cloud_asset_tasks (id, user_id, payload, asset_id, created_at) VALUES (?, ?, ?, ?, ?)"),
        use(row.id), use(row.userId), use(row.payloadJson), use(row.assetId), use(row.createdAt), now;
}

void AssetStore::removeTask(const std::string& taskId)
{
    auto session = _database.session();
    std::string id = taskId;
    session << _database.translate("DELETE FROM cloud_asset_tasks WHERE id = ?"), use(id), now;
}

std::optional<AssetTask> AssetStore::findTask(const std::string& taskId)
{
    auto session = _database.session();
    std::string id = taskId;
    Poco::Data::Statement select(session);
    select << _database.translate(
        "SELECT id, user_id, payload, asset_id, created_at FROM cloud_asset_tasks WHERE id = ?"),
        use(id);
    select.execute();
    Poco::Data::RecordSet rows(select);
    if (rows.rowCount() == 0)
        return std::nullopt;
    return AssetTask{text(rows, 0), text(rows, 1), text(rows, 2), text(rows, 3), integer(rows, 4)};
}

std::optional<AssetRecord> AssetStore::selectAsset(Poco::Data::Session& session, const std::string& condition,
                                                   std::vector<std::string> values)
{
    Poco::Data::Statement select(session);
    select << _database.translate(assetColumns + condition);
    for (auto& value : values)
        select, use(value);
    select.execute();
    Poco::Data::RecordSet rows(select);
    if (rows.rowCount() == 0)
        return std::nullopt;
    AssetRecord asset;
    asset.id = text(rows, 0);
    asset.userId = text(rows, 1);
    asset.name = text(rows, 2);
    asset.path = text(rows, 3);
    asset.size = integer(rows, 4);
    asset.sha256 = text(rows, 5);
    asset.tagsJson = text(rows, 6);
    asset.userMetadataJson = text(rows, 7);
    asset.previewId = text(rows, 8);
    asset.createdAt = integer(rows, 9);
    asset.updatedAt = integer(rows, 10);
    return asset;
}

std::optional<AssetRecord> AssetStore::findAsset(const std::string& assetId)
{
    auto session = _database.session();
    return selectAsset(session, "id = ?", {assetId});
}

std::optional<AssetRecord> AssetStore::findAsset(const std::string& userId, const std::string& path,
                                                 const std::string& sha256)
{
    auto session = _database.session();
    return selectAsset(session, sameFile, {userId, path, sha256});
}

void AssetStore::insertAsset(Poco::Data::Session& session, const AssetRecord& asset)
{
    AssetRecord row = asset;
    session << _database.translate("INSERT INTO cloud_assets (id, user_id, name, path, size, sha256, tags,"
                                   " user_metadata, preview_id, created_at, updated_at)"
                                   " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
        use(row.id), use(row.userId), use(row.name), use(row.path), use(row.size), use(row.sha256), use(row.tagsJson),
        use(row.userMetadataJson), use(row.previewId), use(row.createdAt), use(row.updatedAt), now;
}

void AssetStore::insertAsset(const AssetRecord& asset)
{
    auto session = _database.session();
    insertAsset(session, asset);
}

AssetRecord AssetStore::attachAsset(const std::string& taskId, const AssetRecord& candidate)
{
    AssetRecord attached;
    _database.write([&](Poco::Data::Session& session) {
        std::string id = taskId;
        std::vector<std::string> current;
        session << _database.translate("SELECT asset_id FROM cloud_asset_tasks WHERE id = ?"), use(id), into(current),
            now;
        if (!current.empty() && !current.front().empty()) {
            if (auto existing = selectAsset(session, "id = ?", {current.front()})) {
                attached = *existing;
                return;
            }
        }
        auto existing = selectAsset(session, sameFile, {candidate.userId, candidate.path, candidate.sha256});
        if (existing) {
            attached = *existing;
        } else {
            insertAsset(session, candidate);
            attached = candidate;
        }
        session << _database.translate("UPDATE cloud_asset_tasks SET asset_id = ? WHERE id = ?"), use(attached.id),
            use(id), now;
    });
    return attached;
}

} // namespace comfygate::modeldownload
