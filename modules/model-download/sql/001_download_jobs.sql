-- The download queue: one row per job, kept after it finishes so clients can poll it.
-- Third-party API keys are never stored here (they live sealed in the auth module).
CREATE TABLE download_jobs (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,              -- whose job: the file lands in this user's folders
    requested_by TEXT NOT NULL,         -- who queued it (differs with target_username)
    source TEXT NOT NULL,               -- civitai | huggingface
    request TEXT NOT NULL,              -- the validated request fields, JSON
    folder_type TEXT NOT NULL,
    destination_type TEXT NOT NULL,
    status TEXT NOT NULL,               -- queued | running | completed | failed | cancelled
    bytes_done {{bigint}} NOT NULL DEFAULT 0,
    total_bytes {{bigint}} NOT NULL DEFAULT -1,
    speed_bps DOUBLE PRECISION NOT NULL DEFAULT 0,
    error TEXT NOT NULL DEFAULT '',
    destination TEXT NOT NULL DEFAULT '',
    sha256 TEXT NOT NULL DEFAULT '',
    created_at {{bigint}} NOT NULL,
    queued_at_ms {{bigint}} NOT NULL,    -- orders jobs queued within the same second
    started_at {{bigint}} NOT NULL DEFAULT 0,
    finished_at {{bigint}} NOT NULL DEFAULT 0,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    lease_owner TEXT NOT NULL DEFAULT '',    -- the instance running it
    lease_expires_at {{bigint}} NOT NULL DEFAULT 0
);
CREATE INDEX download_jobs_user ON download_jobs (user_id, queued_at_ms);
CREATE INDEX download_jobs_status ON download_jobs (status, queued_at_ms);

-- Finished model files by content, so a file already present is never fetched again.
CREATE TABLE download_files (
    path TEXT PRIMARY KEY,
    directory TEXT NOT NULL,
    size {{bigint}} NOT NULL,
    sha256 TEXT NOT NULL,
    indexed_at {{bigint}} NOT NULL
);
CREATE INDEX download_files_hash ON download_files (directory, sha256);
