-- The comfyui-studio style model catalog (models.json, loras.json, llm.json), see README.md.
-- One row per entry, keyed by where its bytes come from: entry_key is
-- "civitai:<version id>:<file id>" or "huggingface:<repo>:<path>:<revision commit>", so two
-- files of one version, or two revisions of one Hugging Face file, are two entries.
-- catalog names the export file (models | loras | llm); the columns the routes search by are
-- columns, the full export object (every §2.7 field) is entry_json. state is available |
-- restricted | early_access | archived. Times are Unix milliseconds.
CREATE TABLE catalog_entries (
    entry_key VARCHAR(1024) NOT NULL PRIMARY KEY,
    catalog VARCHAR(16) NOT NULL,
    category VARCHAR(64) NOT NULL,
    file VARCHAR(512) NOT NULL,
    dest VARCHAR(512) NOT NULL,
    source VARCHAR(16) NOT NULL,
    civitai_version_id {{bigint}} NOT NULL DEFAULT 0,
    civitai_model_id {{bigint}} NOT NULL DEFAULT 0,
    civitai_file_id {{bigint}} NOT NULL DEFAULT 0,
    hf_repo VARCHAR(512) NOT NULL DEFAULT '',
    hf_file VARCHAR(1024) NOT NULL DEFAULT '',
    hf_revision VARCHAR(64) NOT NULL DEFAULT '',
    sha256 VARCHAR(64) NOT NULL DEFAULT '',
    state VARCHAR(16) NOT NULL,
    entry_json TEXT NOT NULL,
    updated_at {{bigint}} NOT NULL
);
CREATE INDEX catalog_entries_version ON catalog_entries (civitai_version_id);
CREATE INDEX catalog_entries_sha256 ON catalog_entries (sha256);
CREATE INDEX catalog_entries_file ON catalog_entries (file);

-- The catalog's revision: one counter for the three export files, incremented by every change,
-- written as their "version", served as their ETag and checked against If-Match.
CREATE TABLE catalog_revision (
    id INTEGER NOT NULL PRIMARY KEY,
    version {{bigint}} NOT NULL
);
INSERT INTO catalog_revision (id, version) VALUES (1, 0);
