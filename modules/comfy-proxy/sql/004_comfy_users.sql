-- The ComfyUI user (comfy.multi_user) that holds each gateway user's userdata and settings:
-- ComfyUI's POST /users picks the id itself, so the gateway records it.
CREATE TABLE comfy_users (
    user_id TEXT PRIMARY KEY,
    comfy_user_id TEXT NOT NULL,
    created_at {{bigint}} NOT NULL
);
