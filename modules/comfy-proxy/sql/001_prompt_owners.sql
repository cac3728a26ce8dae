-- Who submitted each prompt: the gateway's record, since ComfyUI keeps one global queue.
CREATE TABLE comfy_prompts (
    prompt_id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    created_at {{bigint}} NOT NULL
);
CREATE INDEX comfy_prompts_user ON comfy_prompts (user_id);
