-- 0011_identities.sql: sign-in through OpenID Connect providers and GitHub.
--
-- Same rules as 0001. An identity is one account at one provider (the
-- provider's stable subject, never the e-mail), linked to one user; a user
-- may have several. pending_logins holds the one-time values of a login
-- that went to the provider and has not come back: keyed by a hash of the
-- `state` (the state itself only travels through the browser), taken (and
-- deleted) by the callback, so a replayed state finds nothing.

CREATE TABLE identities (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  provider TEXT NOT NULL,
  subject TEXT NOT NULL,
  email TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL,
  last_login_at BIGINT NOT NULL,
  UNIQUE (provider, subject)
);

CREATE INDEX identities_user_id_idx ON identities (user_id);

CREATE TABLE pending_logins (
  state_hash TEXT PRIMARY KEY,
  provider TEXT NOT NULL,
  nonce TEXT NOT NULL,
  code_verifier TEXT NOT NULL,
  link_user_id TEXT,
  next_path TEXT NOT NULL DEFAULT '',
  expires_at BIGINT NOT NULL
);

CREATE INDEX pending_logins_expires_at_idx ON pending_logins (expires_at);
