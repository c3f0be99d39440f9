-- 0005_sessions_tokens.sql: revocable sessions and scoped API tokens.
--
-- Same rules as 0001. A password change raises users.session_epoch, and a
-- session carries the epoch it was issued under, so every older session
-- stops working. Logout records the session id in revoked_sessions until
-- the session would have expired anyway. Tokens made before scopes existed
-- keep every scope (what they could do until now).

ALTER TABLE users ADD COLUMN session_epoch BIGINT NOT NULL DEFAULT 0;

ALTER TABLE api_tokens ADD COLUMN scopes TEXT NOT NULL DEFAULT 'read,write,deploy,admin';

CREATE TABLE revoked_sessions (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  expires_at BIGINT NOT NULL
);

CREATE INDEX revoked_sessions_expires_at_idx ON revoked_sessions (expires_at);
