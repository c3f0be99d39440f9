-- 0003_deployments.sql: deployments of images as running services.
--
-- Same rules as 0001. A project has at most one live deployment (healthy and
-- desired running); a newer one being rolled out beside it is its
-- candidate. `desired` is what the user asked for, `status` what the
-- reconciler last saw. `cpu_millis` keeps CPUs exact on both engines
-- (1000 = one CPU). `env` is a JSON object of strings.

CREATE TABLE deployments (
  id TEXT PRIMARY KEY,
  owner_id TEXT NOT NULL,
  project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  image_id TEXT NOT NULL,
  status TEXT NOT NULL
    CHECK (status IN ('pending', 'pulling', 'starting', 'healthy', 'failed', 'stopped',
                      'crashloop')),
  status_reason TEXT NOT NULL DEFAULT '',
  desired TEXT NOT NULL CHECK (desired IN ('running', 'stopped')),
  visibility TEXT NOT NULL CHECK (visibility IN ('private', 'public')),
  memory_mb BIGINT NOT NULL,
  cpu_millis BIGINT NOT NULL,
  env TEXT NOT NULL DEFAULT '{}',
  container_id TEXT NOT NULL DEFAULT '',
  host_port BIGINT NOT NULL DEFAULT 0,
  restarts BIGINT NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  started_at BIGINT,
  last_request_at BIGINT
);

-- Listings filter by owner, the reconciler by desired state, images check use.
CREATE INDEX deployments_owner_id_idx ON deployments (owner_id);
CREATE INDEX deployments_project_id_idx ON deployments (project_id);
CREATE INDEX deployments_image_id_idx ON deployments (image_id);
