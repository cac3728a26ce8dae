-- An administrator can disable an account: it cannot sign in, and disabling it ended every
-- credential it had (tokens_valid_after). Re-enabling lets it sign in again.
ALTER TABLE users ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;
