-- The credential (Principal::sessionId: a session's jti, an API token's hash) a prompt was
-- submitted under, so that SwarmUI's InterruptAll can cancel one session's prompts only.
-- Prompts recorded before this column have '' and count for no session.
ALTER TABLE comfy_prompts ADD COLUMN session_id TEXT NOT NULL DEFAULT '';
