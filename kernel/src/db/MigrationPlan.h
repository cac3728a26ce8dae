#pragma once

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace comfygate {

/// A recorded migration conflicts with this build (unknown to it, renamed, or applied above a
/// pending one): `migrate` and the server's start refuse. Not a failure of a migration's SQL.
class MigrationRefused : public std::runtime_error
{
public:
    using std::runtime_error::runtime_error;
};

/// `owner/NNN_name`, how messages name a migration.
std::string migrationLabel(const std::string& owner, int number, const std::string& name);

/// The numbers of the owner's migrations that `migrate` would apply, in order: `known` (number
/// → name, what the build has) against `recorded` (what schema_migrations holds). Throws
/// MigrationRefused where migrate refuses. One rule for PooledDatabase::migrate and for
/// `comfygate doctor`, which reads the records without migrating, so the two always agree.
std::vector<int> pendingMigrations(const std::string& owner, const std::map<int, std::string>& known,
                                   const std::map<int, std::string>& recorded);

} // namespace comfygate
