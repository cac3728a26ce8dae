#pragma once

#include "comfygate/Audit.h"
#include "comfygate/Database.h"

#include <Poco/Logger.h>
#include <Poco/Types.h>

#include <cstddef>
#include <string>
#include <vector>

namespace comfygate {

/// One stored audit record with its row id and time.
struct AuditEntry
{
    Poco::Int64 id = 0;
    Poco::Int64 at = 0; ///< Unix seconds
    AuditRecord record;
};

/// What DatabaseAudit::search() selects; empty fields do not filter.
struct AuditFilter
{
    std::string actor;        ///< exact username
    std::string actionPrefix; ///< "user." matches user.create, user.delete, ...
    std::string target;       ///< exact target
    Poco::Int64 since = 0;    ///< at >= since (Unix seconds); 0 = no lower bound
    Poco::Int64 until = 0;    ///< at <= until; 0 = no upper bound
    Poco::Int64 before = 0;   ///< id < before (keyset paging, newest first); 0 = from the newest
    std::size_t limit = 50;
};

/// The Audit service on the kernel's `audit_log` table (created by kernelSchema()).
///
/// record() throws when the row cannot be written: a change whose audit record is lost must
/// fail rather than go unrecorded. Called inside Database::write() it joins that transaction
/// (PooledDatabase hands out the transaction's session), so the record commits or rolls back
/// with the change it describes. Failures are also logged at error level to
/// "comfygate.audit".
class DatabaseAudit : public Audit
{
public:
    /// `database` must outlive this object and have the kernel schema applied.
    explicit DatabaseAudit(Database& database);

    /// Throws std::invalid_argument for an empty actor or action, or a detailJson that is
    /// not empty and not a JSON object; rethrows database errors after logging them.
    void record(const AuditRecord& record) override;

    /// The newest `limit` records, newest first.
    std::vector<AuditEntry> recent(std::size_t limit) const;

    /// The newest `limit` records of one actor, newest first.
    std::vector<AuditEntry> byActor(const std::string& actor, std::size_t limit) const;

    /// The newest records matching every set field of `filter`, newest first (by id, so a
    /// page continues with `before` = the last id of the previous page).
    std::vector<AuditEntry> search(const AuditFilter& filter) const;

private:
    Database& _database;
    Poco::Logger& _logger;
};

} // namespace comfygate
