#pragma once
// Shared by the model-download unit suites: a migrated database (SQLite, or PostgreSQL when
// its binaries are installed) and jobs built in one line.

#include "DownloadJob.h"
#include "ModuleMigrations.h"
#include "PooledDatabase.h"
#include "PostgresCluster.h"
#include "TempDir.h"

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>

namespace comfygate::test {

inline std::unique_ptr<PooledDatabase> openDownloadDatabase(DatabaseSettings settings)
{
    auto db = std::make_unique<PooledDatabase>(settings);
    db->open();
    db->migrate("model-download", moduleMigrations());
    return db;
}

inline std::unique_ptr<PooledDatabase> openDownloadSqlite(const TempDir& dir)
{
    DatabaseSettings settings;
    settings.sqlitePath = dir.file("downloads.db");
    settings.maxSessions = 8;
    return openDownloadDatabase(settings);
}

inline modeldownload::DownloadJob makeJob(const std::string& id, const std::string& userId, const std::string& source,
                                          std::int64_t createdAt)
{
    modeldownload::DownloadJob job;
    job.id = id;
    job.userId = userId;
    job.requestedBy = userId;
    job.request.source = source;
    job.request.folderType = "checkpoints";
    if (source == "civitai") {
        job.request.modelVersionId = "138296";
        job.request.civitaiHost = "civitai.com";
    } else {
        job.request.repoId = "org/model";
        job.request.filename = "model.safetensors";
    }
    job.request.requester = {userId, userId, "user", {"user"}};
    job.createdAt = createdAt;
    return job;
}

/// Polls `condition` every 10 ms for up to `timeout`; true when it held.
inline bool eventually(const std::function<bool()>& condition,
                       std::chrono::milliseconds timeout = std::chrono::milliseconds(5000))
{
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (condition())
            return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return condition();
}

} // namespace comfygate::test
