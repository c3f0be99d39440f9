-- 0010_consumer_keys.sql: selling a model — consumer keys and usage metering.
--
-- Same rules as 0001. A consumer key lets someone without an ORSA account
-- call one project's service and submit its runs. Only the key's SHA-256 is
-- stored; `prefix` (the first characters of the secret) lets an owner tell
-- keys apart. A revoked key keeps its row, so usage stays attributed. Limits
-- are optional (NULL: none).
--
-- usage_hourly holds the meter's counters, one row per project, consumer key
-- ('' for calls without one), ORSA user ('' for anonymous or key calls) and
-- hour (unix seconds at its start). The meter adds to a row (upsert) in
-- batches; `refused` counts calls the gate turned away (rate limit, quota),
-- which are in the status classes too but not in a quota.

CREATE TABLE consumer_keys (
  id TEXT PRIMARY KEY,
  owner_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  key_hash TEXT NOT NULL,
  prefix TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT,
  revoked_at BIGINT,
  rate_limit_per_min BIGINT,
  monthly_quota_requests BIGINT,
  monthly_quota_run_seconds BIGINT,
  CONSTRAINT consumer_keys_hash_key UNIQUE (key_hash)
);

CREATE INDEX consumer_keys_project_idx ON consumer_keys (project_id, created_at);

CREATE TABLE usage_hourly (
  project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  owner_id TEXT NOT NULL,
  consumer_key_id TEXT NOT NULL DEFAULT '',
  user_id TEXT NOT NULL DEFAULT '',
  hour BIGINT NOT NULL,
  requests_1xx BIGINT NOT NULL DEFAULT 0,
  requests_2xx BIGINT NOT NULL DEFAULT 0,
  requests_3xx BIGINT NOT NULL DEFAULT 0,
  requests_4xx BIGINT NOT NULL DEFAULT 0,
  requests_5xx BIGINT NOT NULL DEFAULT 0,
  refused BIGINT NOT NULL DEFAULT 0,
  bytes_in BIGINT NOT NULL DEFAULT 0,
  bytes_out BIGINT NOT NULL DEFAULT 0,
  runs BIGINT NOT NULL DEFAULT 0,
  run_wall_ms BIGINT NOT NULL DEFAULT 0,
  run_cpu_ms BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (project_id, consumer_key_id, user_id, hour)
);

-- Quotas sum a key's month; retention deletes by hour.
CREATE INDEX usage_hourly_key_hour_idx ON usage_hourly (consumer_key_id, hour);
CREATE INDEX usage_hourly_hour_idx ON usage_hourly (hour);

-- Runs a consumer submitted with a key (the project's owner is their submitter).
ALTER TABLE runs ADD COLUMN consumer_key_id TEXT;
CREATE INDEX runs_consumer_key_seq_idx ON runs (consumer_key_id, seq);
