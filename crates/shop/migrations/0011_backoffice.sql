-- Browser sessions of the back office (/admin/): the cookie's SHA-256, never the cookie,
-- and the session's CSRF token, sent back in every form.
CREATE TABLE backoffice_sessions (
    token_hash  TEXT PRIMARY KEY,
    user_code   TEXT NOT NULL,
    csrf        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL
);
CREATE INDEX backoffice_sessions_expiry ON backoffice_sessions (expires_at);
