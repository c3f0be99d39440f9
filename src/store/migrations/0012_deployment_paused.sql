-- 0012_deployment_paused.sql: the warm idle tier.
--
-- Same rules as 0001. A deployment idle for a while is first `paused` (its
-- container frozen by the cgroup freezer: no CPU, memory kept; the next
-- request thaws it) and only after a longer idle stopped. Neither engine can
-- widen a CHECK in place on both, so the table is rebuilt with the same
-- columns: no other table references it.

CREATE TABLE deployments_new (
  id TEXT PRIMARY KEY,
  owner_id TEXT NOT NULL,
  project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  image_id TEXT NOT NULL,
  status TEXT NOT NULL
    CHECK (status IN ('pending', 'pulling', 'starting', 'healthy', 'paused', 'failed',
                      'stopped', 'crashloop')),
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
  last_request_at BIGINT,
  upstream_host TEXT NOT NULL DEFAULT '',
  timeout_s BIGINT NOT NULL DEFAULT 60,
  max_body_bytes BIGINT NOT NULL DEFAULT 1048576,
  workers BIGINT NOT NULL DEFAULT 2
);

INSERT INTO deployments_new (id, owner_id, project_id, image_id, status, status_reason, desired,
                             visibility, memory_mb, cpu_millis, env, container_id, host_port,
                             restarts, created_at, updated_at, started_at, last_request_at,
                             upstream_host, timeout_s, max_body_bytes, workers)
SELECT id, owner_id, project_id, image_id, status, status_reason, desired, visibility, memory_mb,
       cpu_millis, env, container_id, host_port, restarts, created_at, updated_at, started_at,
       last_request_at, upstream_host, timeout_s, max_body_bytes, workers
FROM deployments;

DROP TABLE deployments;
ALTER TABLE deployments_new RENAME TO deployments;

CREATE INDEX deployments_owner_id_idx ON deployments (owner_id);
CREATE INDEX deployments_project_id_idx ON deployments (project_id);
CREATE INDEX deployments_image_id_idx ON deployments (image_id);
