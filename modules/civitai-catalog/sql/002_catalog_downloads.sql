-- Downloads of catalog entries queued on model-download's queue ("downloads.queue"): the
-- latest job per file, what GET /api/admin/models/status reports. queued_at in Unix ms.
CREATE TABLE catalog_downloads (
    file VARCHAR(512) NOT NULL PRIMARY KEY,
    entry_key VARCHAR(1024) NOT NULL,
    job_id VARCHAR(64) NOT NULL,
    user_id VARCHAR(64) NOT NULL,
    queued_at {{bigint}} NOT NULL
);
