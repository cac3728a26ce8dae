#pragma once

#include <map>
#include <string>
#include <vector>

namespace comfygate {

class Configuration;

/// `comfygate migrate --dry-run`: the migrations run on a scratch copy of the SQLite database
/// (taken with `VACUUM INTO`, consistent while a server writes) in a temporary data directory,
/// and what the copy gained is what `migrate` would apply. Running them, rather than only
/// comparing numbers, also shows a migration that would fail. The real data is not touched.
class MigrationDryRun
{
public:
    /// Throws std::runtime_error for PostgreSQL (there is no cheap scratch copy; see the message).
    explicit MigrationDryRun(const Configuration& config);
    ~MigrationDryRun();
    MigrationDryRun(const MigrationDryRun&) = delete;
    MigrationDryRun& operator=(const MigrationDryRun&) = delete;

    /// The overrides that point a kernel at the scratch copy (data.dir, db.sqlite.path).
    std::map<std::string, std::string> scratchOverrides() const;

    /// Number to name of the migrations recorded for each owner in the scratch database.
    using Recorded = std::map<std::string, std::map<int, std::string>>;
    Recorded recorded() const;

private:
    std::string _scratchDir;
    std::string _scratchDatabase;
};

} // namespace comfygate
