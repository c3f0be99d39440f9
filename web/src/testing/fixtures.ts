import type { Deployment, Image } from '@/types/api';

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
