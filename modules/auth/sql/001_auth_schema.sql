-- The auth module's tables. Times are Unix seconds; booleans are INTEGER 0/1; every hash is
-- the lower-case hex SHA-256 of a secret the server handed out once (tokens are never stored).
-- Rows that belong to a user go with the user (ON DELETE CASCADE; UserStore::remove() also
-- deletes them explicitly in the same transaction).

-- Accounts. username_key is the lower-cased username: lookups and uniqueness ignore case.
CREATE TABLE users (
    id VARCHAR(32) PRIMARY KEY,
    username VARCHAR(64) NOT NULL,
    username_key VARCHAR(64) NOT NULL UNIQUE,
    role VARCHAR(16) NOT NULL,
    groups_json TEXT NOT NULL DEFAULT '[]',
    sfw_check INTEGER NOT NULL DEFAULT 1,
    password_hash TEXT NOT NULL DEFAULT '',
    mfa_enabled INTEGER NOT NULL DEFAULT 0,
    created_at {{bigint}} NOT NULL,
    last_login_at {{bigint}} NOT NULL DEFAULT 0,
    tokens_valid_after {{bigint}} NOT NULL DEFAULT 0,
    builtin INTEGER NOT NULL DEFAULT 0
);
-- Exactly one owner: the database refuses a second one whatever the code does.
CREATE UNIQUE INDEX users_single_owner ON users (role) WHERE role = 'owner';

-- Session JWTs by jti. expires_at 0 = no expiry. A jti missing here counts as revoked.
CREATE TABLE session_tokens (
    jti VARCHAR(128) PRIMARY KEY,
    user_id VARCHAR(32) NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at {{bigint}} NOT NULL,
    last_used_at {{bigint}} NOT NULL,
    expires_at {{bigint}} NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0,
    client_address VARCHAR(64) NOT NULL DEFAULT '',
    user_agent TEXT NOT NULL DEFAULT ''
);
CREATE INDEX session_tokens_user ON session_tokens (user_id);
CREATE INDEX session_tokens_last_used ON session_tokens (last_used_at);
CREATE INDEX session_tokens_expires ON session_tokens (expires_at);

-- API tokens by the SHA-256 of the token. expires_at 0 = never.
CREATE TABLE api_tokens (
    hash VARCHAR(64) PRIMARY KEY,
    user_id VARCHAR(32) NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    label TEXT NOT NULL DEFAULT '',
    created_at {{bigint}} NOT NULL,
    expires_at {{bigint}} NOT NULL,
    last_used_at {{bigint}} NOT NULL DEFAULT 0
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

-- TOTP: secrets sealed (AES-256-GCM, AAD "user:<id>|totp"); last_step is the newest time step
-- accepted, so a code is never accepted twice.
CREATE TABLE mfa_totp (
    user_id VARCHAR(32) PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    pending_secret TEXT NOT NULL DEFAULT '',
    active_secret TEXT NOT NULL DEFAULT '',
    last_step {{bigint}} NOT NULL DEFAULT 0
);

-- Single-use recovery codes, by SHA-256.
CREATE TABLE mfa_backup_codes (
    user_id VARCHAR(32) NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash VARCHAR(64) NOT NULL,
    PRIMARY KEY (user_id, code_hash)
);

-- The mfa_temp_token between the password and the second factor: single use, short-lived,
-- ended after too many wrong codes.
CREATE TABLE mfa_temp_tokens (
    token_hash VARCHAR(64) PRIMARY KEY,
    user_id VARCHAR(32) NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose VARCHAR(16) NOT NULL,
    expires_at {{bigint}} NOT NULL,
    payload TEXT NOT NULL DEFAULT '',
    failures INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX mfa_temp_tokens_expires ON mfa_temp_tokens (expires_at);

-- Failed-login counters and locks per "ip:<address>" and "user:<lower-case name>".
CREATE TABLE login_failures (
    throttle_key VARCHAR(300) PRIMARY KEY,
    failures INTEGER NOT NULL,
    first_failure_at {{bigint}} NOT NULL,
    last_failure_at {{bigint}} NOT NULL,
    locked_until {{bigint}} NOT NULL DEFAULT 0
);

-- Admin IP lists (addresses or CIDR blocks).
CREATE TABLE ip_whitelist (
    entry VARCHAR(64) PRIMARY KEY,
    created_at {{bigint}} NOT NULL
);
CREATE TABLE ip_blacklist (
    entry VARCHAR(64) PRIMARY KEY,
    permanent INTEGER NOT NULL DEFAULT 0,
    expires_at {{bigint}} NOT NULL DEFAULT 0,
    reason TEXT NOT NULL DEFAULT '',
    created_at {{bigint}} NOT NULL
);

-- Per-user third-party keys, sealed with AAD "user:<id>|<provider>".
CREATE TABLE user_secrets (
    user_id VARCHAR(32) NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider VARCHAR(32) NOT NULL,
    sealed TEXT NOT NULL,
    updated_at {{bigint}} NOT NULL,
    PRIMARY KEY (user_id, provider)
);

-- SwarmUI session_ids (by SHA-256), bound to the credential that created them.
CREATE TABLE swarm_sessions (
    session_hash VARCHAR(64) PRIMARY KEY,
    user_id VARCHAR(32) NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    credential_kind VARCHAR(16) NOT NULL,
    credential_id VARCHAR(128) NOT NULL,
    created_at {{bigint}} NOT NULL,
    last_used_at {{bigint}} NOT NULL
);
CREATE INDEX swarm_sessions_credential ON swarm_sessions (credential_kind, credential_id);
CREATE INDEX swarm_sessions_user ON swarm_sessions (user_id);

-- Runtime settings an admin changes (allow_guest_jwt, the groups table, ...).
CREATE TABLE auth_settings (
    name VARCHAR(100) PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at {{bigint}} NOT NULL
);
