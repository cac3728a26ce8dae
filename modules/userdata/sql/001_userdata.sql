-- The userdata module's tables. Times are Unix milliseconds (ComfyUI reports file times with
-- sub-second precision). owner is a user id, or '' for the global workflows every user sees.
-- path is relative to the owner's root, '/'-separated, already confined (UserDataName).
-- content is NULL for an empty file: Poco binds an empty BLOB as NULL.

-- The current content of every file.
CREATE TABLE userdata_files (
    owner VARCHAR(64) NOT NULL,
    path VARCHAR(1024) NOT NULL,
    content {{blob}},
    size {{bigint}} NOT NULL,
    created_ms {{bigint}} NOT NULL,
    modified_ms {{bigint}} NOT NULL,
    PRIMARY KEY (owner, path)
);

-- Earlier contents of a file, kept when it is overwritten (the newest userdata.versions_kept
-- per file). saved_ms is when that content had been saved; replaced_ms when it was replaced.
CREATE TABLE userdata_versions (
    id {{id}},
    owner VARCHAR(64) NOT NULL,
    path VARCHAR(1024) NOT NULL,
    content {{blob}},
    size {{bigint}} NOT NULL,
    saved_ms {{bigint}} NOT NULL,
    replaced_ms {{bigint}} NOT NULL,
    replaced_by VARCHAR(64) NOT NULL
);
CREATE INDEX userdata_versions_file ON userdata_versions (owner, path, id);

-- One row per owner that has written. Every write transaction updates its owner's row first,
-- so writers of one owner take turns: on PostgreSQL (READ COMMITTED) the quota a writer checks
-- is the one it commits against, and two writers of one new name never both insert it.
-- SQLite's BEGIN IMMEDIATE serialises every write anyway.
CREATE TABLE userdata_owners (
    owner VARCHAR(64) PRIMARY KEY,
    writes {{bigint}} NOT NULL DEFAULT 0
);
