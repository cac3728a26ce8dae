-- SwarmUI-style user settings (GetUserSettings / ChangeUserSettings): only the values a user
-- changed away from the defaults, one row per dotted path, the value as JSON text.
CREATE TABLE presets_user_settings (
    user_id TEXT NOT NULL,
    path TEXT NOT NULL,
    value_json TEXT NOT NULL,
    updated_at {{bigint}} NOT NULL,
    PRIMARY KEY (user_id, path)
);
