-- 0002_builds_images.sql: the build queue and the images builds produce.
--
-- Same rules as 0001: runs unchanged on SQLite and PostgreSQL, no semicolon
-- inside a literal or a comment, named constraints. `number` is a
-- per-project sequence starting at 1 (the image tag), assigned by the store.

CREATE TABLE builds (
  id TEXT PRIMARY KEY,
  project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  owner_id TEXT NOT NULL,
  number BIGINT NOT NULL,
  commit_sha TEXT NOT NULL,
  status TEXT NOT NULL
    CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'canceled')),
  error TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL,
  started_at BIGINT,
  finished_at BIGINT,
  image_id TEXT,
  CONSTRAINT builds_project_id_number_key UNIQUE (project_id, number)
);

-- Restart recovery scans by status, listings filter by owner.
CREATE INDEX builds_status_idx ON builds (status);
CREATE INDEX builds_owner_id_idx ON builds (owner_id);

CREATE TABLE images (
  id TEXT PRIMARY KEY,
  owner_id TEXT NOT NULL,
  project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  build_id TEXT NOT NULL,
  repository TEXT NOT NULL,
  tag TEXT NOT NULL,
  digest TEXT NOT NULL,
  size BIGINT NOT NULL,
  commit_sha TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  CONSTRAINT images_project_id_tag_key UNIQUE (project_id, tag)
);

CREATE INDEX images_owner_id_idx ON images (owner_id);
