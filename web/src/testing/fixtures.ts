import type { Deployment, Image, Run } from '@/types/api';

/** A deployment as the server answers it, with `over` applied. */
export function deployment(over: Partial<Deployment> = {}): Deployment {
  return {
    id: 'dep_1',
    owner: 'alice',
    project: 'knap',
    image_id: 'img_1',
    image_tag: '1',
    image_digest: 'sha256:' + 'a'.repeat(64),
    status: 'healthy',
    status_reason: '',
    desired: 'running',
    live: true,
    visibility: 'private',
    memory_mb: 256,
    cpus: 1,
    replicas: 1,
    env: {},
    url: 'http://127.0.0.1:8081/alice/knap/',
    restarts: 0,
    created_at: '2026-01-01T00:00:00Z',
    updated_at: '2026-01-01T00:00:05Z',
    started_at: '2026-01-01T00:00:04Z',
    last_request_at: null,
    ...over,
  };
}

/** An image as the server answers it, with `over` applied. */
export function image(over: Partial<Image> = {}): Image {
  return {
    id: 'img_1',
    project_id: 'prj_1',
    build_id: 'bld_1',
    repository: 'alice/knap',
    tag: '1',
    reference: 'alice/knap:1',
    digest: 'sha256:' + 'b'.repeat(64),
    size: 52_000_000,
    commit: 'abcdef1234567890',
    created_at: '2026-01-01T00:00:00Z',
    deployments: 0,
    deployed: false,
    ...over,
  };
}

/** A run as the server answers it (queued, first in line), with `over` applied. */
export function run(over: Partial<Run> = {}): Run {
  return {
    id: 'run_1',
    project: 'alice/knap',
    owner: 'alice',
    name: 'knap',
    submitter: 'alice',
    status: 'queued',
    priority: 0,
    queue_position: 1,
    created_at: '2026-01-01T00:00:00Z',
    started_at: null,
    finished_at: null,
    duration_s: null,
    exit_code: null,
    reason: null,
    cancel_requested: false,
    options: {},
    limits: { time_limit_s: 60, memory_mb: 512, cpus: 1 },
    input: { digest: 'sha256:' + 'c'.repeat(64), size: 120 },
    result: null,
    log: null,
    statistics: {},
    trace: {
      project_id: 'prj_1',
      commit: 'abcdef1234567890',
      build_id: 'bld_1',
      image_id: 'img_1',
      image_digest: 'sha256:' + 'b'.repeat(64),
      deployment_id: 'dep_1',
    },
    ...over,
  };
}
