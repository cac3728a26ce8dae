-- Several ComfyUI hosts (comfy.upstreams): the host each prompt was sent to (its base URL;
-- '' for prompts recorded before, which ran on the one host of that time), and why it failed
-- when that host stopped answering with the prompt queued or running ('' otherwise).
ALTER TABLE comfy_prompts ADD COLUMN upstream TEXT NOT NULL DEFAULT '';
ALTER TABLE comfy_prompts ADD COLUMN failure TEXT NOT NULL DEFAULT '';
-- GET /history and /api/jobs ask for a user's failed prompts on every call: only the few
-- failed rows are indexed.
CREATE INDEX comfy_prompts_failed ON comfy_prompts (user_id) WHERE failure <> '';
