-- Comfy Cloud asset import (POST /api/assets/download): a task is a download job with the
-- Cloud request kept beside it; a finished file becomes an asset record of its owner.
CREATE TABLE cloud_asset_tasks (
    id TEXT PRIMARY KEY,                -- the download job's id (download_jobs.id)
    user_id TEXT NOT NULL,
    payload TEXT NOT NULL,              -- {source_url, tags, user_metadata, preview_id}, JSON
    asset_id TEXT NOT NULL DEFAULT '',  -- set once the job completed and its asset exists
    created_at {{bigint}} NOT NULL
);

CREATE TABLE cloud_assets (
    id TEXT PRIMARY KEY,                -- uuid
    user_id TEXT NOT NULL,
    name TEXT NOT NULL,                 -- the file name
    path TEXT NOT NULL,                 -- relative to comfy.models_dir, e.g. loras/x.safetensors
    size {{bigint}} NOT NULL,
    sha256 TEXT NOT NULL,
    tags TEXT NOT NULL,                 -- JSON array
    user_metadata TEXT NOT NULL,        -- JSON object
    preview_id TEXT NOT NULL DEFAULT '',
    created_at {{bigint}} NOT NULL,
    updated_at {{bigint}} NOT NULL
);
CREATE INDEX cloud_assets_content ON cloud_assets (user_id, sha256);
