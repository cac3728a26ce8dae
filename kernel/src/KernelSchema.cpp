#include "KernelSchema.h"

namespace comfygate {

std::vector<Migration> kernelSchema()
{
    return {
        {1, "audit_log", R"sql(
-- Append-only record of who did what to which target, when (Unix seconds) and from where.
CREATE TABLE audit_log (
    id {{id}},
    at {{bigint}} NOT NULL,
    actor VARCHAR(200) NOT NULL,
    action VARCHAR(100) NOT NULL,
    target VARCHAR(500) NOT NULL DEFAULT '',
    client VARCHAR(100) NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_actor_at ON audit_log (actor, at);
)sql"},
    };
}

} // namespace comfygate
