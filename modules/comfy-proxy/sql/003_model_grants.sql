-- Which models a user, role or group may use while model isolation is on.
-- subject_kind: 'user' (subject = user id) or 'group' (subject = role or group name).
-- item_name: exact relative path or a glob with '*'. expires_at: Unix seconds, 0 = never.
CREATE TABLE comfy_model_grants (
    subject_kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    folder TEXT NOT NULL,
    item_name TEXT NOT NULL,
    source_backend TEXT NOT NULL,
    granted_by_user_id TEXT NOT NULL,
    granted_by_role TEXT NOT NULL,
    created_at {{bigint}} NOT NULL,
    expires_at {{bigint}} NOT NULL,
    PRIMARY KEY (subject_kind, subject, folder, item_name)
);
