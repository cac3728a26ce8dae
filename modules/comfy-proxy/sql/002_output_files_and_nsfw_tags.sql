-- Files a user's prompts produced (learnt from ComfyUI's history of that prompt), so /view
-- can let the owner read them wherever they were written.
CREATE TABLE comfy_prompt_files (
    type TEXT NOT NULL,
    subfolder TEXT NOT NULL,
    filename TEXT NOT NULL,
    user_id TEXT NOT NULL,
    prompt_id TEXT NOT NULL,
    PRIMARY KEY (type, subfolder, filename, user_id)
);
CREATE INDEX comfy_prompt_files_user ON comfy_prompt_files (user_id);

-- Prompts whose finished outputs are already in comfy_prompt_files (never asked again).
CREATE TABLE comfy_scanned_prompts (
    prompt_id TEXT PRIMARY KEY,
    scanned_at {{bigint}} NOT NULL
);

-- NSFW verdicts, kept on the server and never in the file (a file's own metadata is
-- whatever its uploader wrote).
CREATE TABLE comfy_nsfw_tags (
    type TEXT NOT NULL,
    subfolder TEXT NOT NULL,
    filename TEXT NOT NULL,
    is_nsfw INTEGER NOT NULL,
    score DOUBLE PRECISION NOT NULL,
    label TEXT NOT NULL,
    tagged_by TEXT NOT NULL,
    tagged_at {{bigint}} NOT NULL,
    PRIMARY KEY (type, subfolder, filename)
);
