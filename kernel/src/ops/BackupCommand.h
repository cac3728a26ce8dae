#pragma once

#include "CommandLine.h"

#include <iosfwd>

namespace comfygate {

/// `comfygate backup FILE`: one tar archive (mode 0600) with a consistent copy of the SQLite
/// database (online backup API, so the server may keep running and writing), the key file,
/// the policy scripts, the configuration file in use and manifest.json (versions, applied
/// migrations per owner, SHA-256 of every file). FILE appears complete or not at all: the
/// archive is written to an unnamed file and linked into place only when synced.
/// PostgreSQL: everything but the database, plus the pg_dump command to run for it.
class BackupCommand
{
public:
    BackupCommand(const CommandLine& line, std::ostream& out, std::ostream& err);
    int run();

private:
    const CommandLine& _line;
    std::ostream& _out;
    std::ostream& _err;
};

} // namespace comfygate
