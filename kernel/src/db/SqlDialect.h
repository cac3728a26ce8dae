#pragma once

#include "comfygate/Database.h"

#include <string>

namespace comfygate {

/// What differs between the SQLite and PostgreSQL SQL that comfygate runs. Works without a
/// connection: the backend alone decides.
class SqlDialect
{
public:
    explicit SqlDialect(Database::Backend backend);

    Database::Backend backend() const { return _backend; }

    /// Replaces the portable tokens of Database::translate() ({{id}}, {{blob}}, {{bigint}},
    /// {{now}}, {{skip_locked}}, {{xact_lock:NAME}}) and, on PostgreSQL, numbers the `?` placeholders as `$1`, `$2`, ... (Poco's
    /// PostgreSQL connector only understands `$n`). String literals, quoted identifiers and
    /// comments are left alone. Throws std::invalid_argument naming an unknown token.
    std::string translate(const std::string& sql) const;

    /// A statement that serialises schema migrations across processes for the rest of the
    /// current transaction, or "" when the write transaction already does (SQLite).
    std::string migrationLock() const;

private:
    std::string token(const std::string& name) const;

    Database::Backend _backend;
};

} // namespace comfygate
