-- The presets module's tables. user_id is the gateway's user id (Principal::userId); every row
-- of a user goes when the user does (the orphan sweep, see README.md). Times are Unix
-- milliseconds.

-- SwarmUI's T2I presets, one row per user and lower-cased title (SwarmUI's `<user>///<title>`
-- id). param_map is a JSON object of strings. The preview is either preview_jpeg (an uploaded
-- image, re-encoded; NULL when none) or preview_path (the placeholder or an /Output... URL).
-- revision is the write time, served as the `editid` that busts browser caches. shared = 1
-- publishes the preset read-only to every user (author is the publisher's user name).
CREATE TABLE presets (
    user_id VARCHAR(64) NOT NULL,
    title_key VARCHAR(1024) NOT NULL,
    title VARCHAR(1024) NOT NULL,
    author VARCHAR(200) NOT NULL,
    description TEXT NOT NULL,
    param_map TEXT NOT NULL,
    is_starred INTEGER NOT NULL DEFAULT 0,
    preview_path VARCHAR(2048) NOT NULL DEFAULT '',
    preview_jpeg {{blob}},
    shared INTEGER NOT NULL DEFAULT 0,
    revision {{bigint}} NOT NULL,
    PRIMARY KEY (user_id, title_key)
);
CREATE INDEX presets_shared ON presets (shared, title_key);

-- SwarmUI's generic per-user documents (starred models, model-preset links, parameter edits):
-- one JSON text per user and name.
CREATE TABLE presets_user_documents (
    user_id VARCHAR(64) NOT NULL,
    name VARCHAR(64) NOT NULL,
    value TEXT NOT NULL,
    updated_ms {{bigint}} NOT NULL,
    PRIMARY KEY (user_id, name)
);
