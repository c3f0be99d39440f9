-- 0001_init.sql: users, API tokens, projects and the audit log.
--
-- Runs unchanged on SQLite and PostgreSQL: TEXT ids with a type prefix
-- (usr_, tok_, prj_, aud_), BIGINT unix seconds (UTC), INTEGER 0/1 booleans.
-- The store splits this file on semicolons, so none may appear inside a
-- string literal or a comment. Constraints are named so that both engines
-- report a recognisable name when one is violated.

CREATE TABLE users (
  id TEXT PRIMARY KEY,
  username TEXT NOT NULL,
  email TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('admin', 'developer', 'viewer')),
  disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
  created_at BIGINT NOT NULL,
  CONSTRAINT users_username_key UNIQUE (username),
  CONSTRAINT users_email_key UNIQUE (email)
);

CREATE TABLE api_tokens (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  token_hash TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT,
  last_used_at BIGINT
);

-- Authentication looks tokens up by hash, listing by user.
CREATE UNIQUE INDEX api_tokens_token_hash_key ON api_tokens (token_hash);
CREATE INDEX api_tokens_user_id_idx ON api_tokens (user_id);

-- The unique (owner_id, name) index also serves lookups of projects by owner.
CREATE TABLE projects (
  id TEXT PRIMARY KEY,
  owner_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  template_name TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  CONSTRAINT projects_owner_id_name_key UNIQUE (owner_id, name)
);

-- No foreign key on actor_id: the audit trail outlives the users it names.
CREATE TABLE audit_events (
  id TEXT PRIMARY KEY,
  at BIGINT NOT NULL,
  actor_id TEXT,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  ip TEXT NOT NULL,
  detail TEXT NOT NULL
);

CREATE INDEX audit_events_at_idx ON audit_events (at);
