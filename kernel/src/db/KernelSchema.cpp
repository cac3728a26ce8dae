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
        {2, "policy_effects", R"sql(
-- policy.counter: one row per (name, key) until it expires (Unix seconds); the sweeper
-- deletes expired rows, reads treat them as 0.
CREATE TABLE policy_counters (
    name VARCHAR(64) NOT NULL,
    counter_key VARCHAR(256) NOT NULL,
    value {{bigint}} NOT NULL,
    expires_at {{bigint}} NOT NULL,
    PRIMARY KEY (name, counter_key)
);
CREATE INDEX policy_counters_expires_at ON policy_counters (expires_at);
-- policy.kv: small per-user values as JSON text.
CREATE TABLE policy_kv (
    user_id VARCHAR(256) NOT NULL,
    kv_key VARCHAR(256) NOT NULL,
    value TEXT NOT NULL,
    updated_at {{bigint}} NOT NULL,
    PRIMARY KEY (user_id, kv_key)
);
-- policy.notify's durable outbox: pending rows are sent when next_attempt_ms (Unix ms) is
-- due; sent rows are deleted; rows given up on stay as 'failed' with their last error.
CREATE TABLE policy_outbox (
    id {{id}},
    channel VARCHAR(64) NOT NULL,
    message TEXT NOT NULL,
    fields TEXT NOT NULL,
    created_at {{bigint}} NOT NULL,
    state VARCHAR(16) NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_ms {{bigint}} NOT NULL,
    last_error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX policy_outbox_due ON policy_outbox (state, next_attempt_ms);
)sql"},
        {3, "audit_log_search", R"sql(
-- The console's audit search pages newest first by id within a filter (keyset paging):
-- each filterable column with id, so a filtered page is an index range, not a table scan.
CREATE INDEX audit_log_actor_id ON audit_log (actor, id);
CREATE INDEX audit_log_action_id ON audit_log (action, id);
CREATE INDEX audit_log_target_id ON audit_log (target, id);
)sql"},
    };
}

} // namespace comfygate
