#pragma once

#include <string>

namespace comfygate {

/// One audit record: who did what to which target, when and from where.
struct AuditRecord
{
    std::string actor;      ///< username, or "system" / "cli"
    std::string action;     ///< dotted verb, e.g. "user.delete", "policy.reload"
    std::string target;     ///< what it acted on, e.g. a username or a job id
    std::string client;     ///< client address, empty for CLI and background work
    std::string detailJson; ///< optional JSON object with more detail; never secrets
};

/// Append-only audit log in the database.
class Audit
{
public:
    virtual ~Audit() = default;
    virtual void record(const AuditRecord& record) = 0;
};

} // namespace comfygate
