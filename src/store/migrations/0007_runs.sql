-- 0007_runs.sql: runs, asynchronous optimization jobs of a project's image.
--
-- Same rules as 0001. `owner_id` is the project's owner (tenancy),
-- `submitter_id` who asked for the run. `seq` is a global sequence assigned
-- by the store: the queue's age order and the cursor of the newest-first
-- listings. The trace (build, commit, image digest, deployment) is copied at
-- submit, so it survives the image and the deployment. Inputs and results
-- live in the run data store under their sha256 digests, referenced from
-- here. `options` and `statistics` are JSON objects. `cpu_millis` keeps CPUs
-- exact (1000 = one CPU). `container_id` lets a restarted control plane
-- adopt a run it left running.

CREATE TABLE runs (
  id TEXT PRIMARY KEY,
  seq BIGINT NOT NULL,
  owner_id TEXT NOT NULL,
  submitter_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  image_id TEXT NOT NULL,
  build_id TEXT NOT NULL,
  commit_sha TEXT NOT NULL,
  image_digest TEXT NOT NULL,
  deployment_id TEXT,
  status TEXT NOT NULL
    CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'invalid_input', 'timed_out',
                      'canceled')),
  priority BIGINT NOT NULL DEFAULT 0,
  options TEXT NOT NULL DEFAULT '{}',
  time_limit_s BIGINT NOT NULL,
  memory_mb BIGINT NOT NULL,
  cpu_millis BIGINT NOT NULL,
  input_digest TEXT NOT NULL,
  input_size BIGINT NOT NULL,
  result_digest TEXT,
  result_size BIGINT,
  log_digest TEXT,
  log_size BIGINT,
  exit_code BIGINT,
  reason TEXT NOT NULL DEFAULT '',
  statistics TEXT NOT NULL DEFAULT '{}',
  container_id TEXT,
  cancel_requested INTEGER NOT NULL DEFAULT 0 CHECK (cancel_requested IN (0, 1)),
  created_at BIGINT NOT NULL,
  started_at BIGINT,
  finished_at BIGINT,
  CONSTRAINT runs_seq_key UNIQUE (seq)
);

-- The queue scans by status, listings go newest first by project, by
-- submitter or by owner, the data store counts references to a digest, the
-- collector deletes by age.
CREATE INDEX runs_status_submitter_idx ON runs (status, submitter_id);
CREATE INDEX runs_project_seq_idx ON runs (project_id, seq);
CREATE INDEX runs_submitter_seq_idx ON runs (submitter_id, seq);
CREATE INDEX runs_owner_seq_idx ON runs (owner_id, seq);
CREATE INDEX runs_input_digest_idx ON runs (input_digest);
CREATE INDEX runs_result_digest_idx ON runs (result_digest);
CREATE INDEX runs_log_digest_idx ON runs (log_digest);
CREATE INDEX runs_finished_at_idx ON runs (finished_at);
