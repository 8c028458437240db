-- The operator console: its sign-in sessions and the audit trail of what was done in it.

CREATE TABLE console_sessions (
    -- SHA-256 (hex) of the session cookie: the cookie itself is never stored.
    token_hash  text PRIMARY KEY,
    -- Every console form carries it; a POST without the session's own is refused.
    csrf_token  text NOT NULL,
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL
);

CREATE INDEX console_sessions_expiry ON console_sessions (expires_at);

-- Append-only: one row per action taken in the console.
CREATE TABLE console_audit (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL,
    action      text NOT NULL,
    -- What the action was about (a payment, a merchant, an event id), if anything.
    subject     text,
    -- A short outcome, never a secret.
    detail      text,
    -- The first 12 hex digits of the session's hash: which sign-in did it.
    session     text
);

CREATE INDEX console_audit_at ON console_audit (at DESC);
