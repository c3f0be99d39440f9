// Shapes of the orsa-deployer API (docs/api/openapi.yaml). Shared by every
// feature, so they live outside the feature folders.

export type Role = 'admin' | 'developer' | 'viewer';

export interface User {
  id: string;
  username: string;
  email: string;
  role: Role;
  disabled: boolean;
  created_at: string;
}

export interface Session {
  token: string;
  csrf_token: string;
  expires_at: string;
  user: User;
}

export interface Commit {
  sha: string;
  author: { name: string; email: string };
  message: string;
  time: string;
  parents: string[];
}

export interface Project {
  id: string;
  owner: string;
  name: string;
  full_name: string;
  template: string;
  created_at: string;
  updated_at: string;
  head: Commit | null;
}

export interface FileEntry {
  path: string;
  size: number;
}

export interface FileTree {
  commit: string;
  files: FileEntry[];
}

export type FileStatus = 'added' | 'modified' | 'deleted' | 'renamed';

export interface CommitFileDiff {
  path: string;
  status: FileStatus;
  old_path?: string;
  /** Absent for binary files and past the server's size limit. */
  patch?: string;
  binary: boolean;
  additions: number;
  deletions: number;
}

/** `CommitDiff`: a commit and its changes against its first parent. */
export interface CommitDetail {
  commit: Commit;
  files: CommitFileDiff[];
  /** Files or patch text were left out (past 300 files or 1 MiB of patch). */
  truncated: boolean;
}

export type BuildStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'canceled';

export interface Build {
  id: string;
  project: string;
  owner: string;
  name: string;
  number: number;
  commit: string;
  status: BuildStatus;
  error: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  duration_s: number | null;
  image_id: string | null;
}

export interface Image {
  id: string;
  project_id: string;
  build_id: string;
  repository: string;
  tag: string;
  reference: string;
  digest: string;
  size: number;
  commit: string;
  created_at: string;
  /** Deployment rows that use it (any status); while > 0, DELETE answers 409. */
  deployments: number;
  /** A deployment of it is wanted running. */
  deployed: boolean;
}

export type DeploymentStatus =
  'pending' | 'pulling' | 'starting' | 'healthy' | 'failed' | 'stopped' | 'crashloop';

export type Visibility = 'private' | 'public';

export interface Deployment {
  id: string;
  owner: string;
  project: string;
  image_id: string;
  image_tag: string;
  image_digest: string;
  status: DeploymentStatus;
  status_reason: string;
  desired: 'running' | 'stopped';
  live: boolean;
  visibility: Visibility;
  memory_mb: number;
  cpus: number;
  env: Record<string, string>;
  /** The service's own URL, on the services origin (never ORSA's); null when it has none. */
  url: string | null;
  restarts: number;
  created_at: string;
  updated_at: string;
  started_at: string | null;
  last_request_at: string | null;
}

export interface LatencyBucket {
  le: number | '+Inf';
  count: number;
}

export interface DeploymentMetrics {
  deployment_id: string;
  requests: Record<'1xx' | '2xx' | '3xx' | '4xx' | '5xx', number>;
  bytes_in: number;
  bytes_out: number;
  in_flight: number;
  latency: { buckets: LatencyBucket[]; sum_seconds: number; count: number };
  last_request_at: string | null;
}

/** What an API token may do, within its user's role. */
export type TokenScope = 'read' | 'write' | 'deploy' | 'admin';

export interface ApiToken {
  id: string;
  user_id: string;
  name: string;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  scopes?: TokenScope[];
  secret?: string;
}

export interface GcReport {
  dry_run: boolean;
  images: { id: string; repository: string; tag: string; digest: string; size: number }[];
  blobs: { count: number; bytes: number };
  idle_stopped: { deployment_id: string; project: string }[];
  bytes_freed: number;
  errors: string[];
}

export interface AuditEvent {
  id: number | string;
  at: string;
  actor_id: string | null;
  action: string;
  target: string;
  ip: string;
  detail: string;
}
