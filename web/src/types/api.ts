// The API's shapes under the names the app uses. Every one is the contract's
// (docs/api/openapi.yaml, generated into src/lib/api/schema.d.ts): nothing
// here is written by hand, so the app and the server cannot disagree.
import type { Schemas } from '@/lib/api/contract';

export type User = Schemas['User'];
export type Role = User['role'];
export type Session = Schemas['Session'];
export type ApiToken = Schemas['ApiToken'];
/** A provider users sign in with (OpenID Connect, GitHub). */
export type IdentityProvider = Schemas['IdentityProvider'];
/** A provider identity linked to a user. */
export type Identity = Schemas['Identity'];

export type Commit = Schemas['Commit'];
/** A project; `head` only in the answers about one project, not in lists. */
export type Project = Schemas['Project'];
/** An example project a new project can start from. */
export type Example = Schemas['Example'];
export type FileTree = Schemas['FileTree'];
export type FileEntry = FileTree['files'][number];
/** One file of a commit's diff against its first parent. */
export type CommitFileDiff = Schemas['FileDiff'];
export type FileStatus = CommitFileDiff['status'];
/** `CommitDiff`: a commit and its changes against its first parent. */
export type CommitDetail = Schemas['CommitDiff'];

export type Build = Schemas['Build'];
export type BuildStatus = Build['status'];
export type Image = Schemas['Image'];

export type Deployment = Schemas['Deployment'];
export type DeploymentStatus = Deployment['status'];
export type Visibility = Deployment['visibility'];
export type DeploymentMetrics = Schemas['DeploymentMetrics'];
export type LatencyBucket = DeploymentMetrics['latency']['buckets'][number];

export type GcReport = Schemas['GcReport'];
export type AuditEvent = Schemas['AuditEvent'];
export type TokenScope = NonNullable<ApiToken['scopes']>[number];

export type Run = Schemas['Run'];
export type RunStatus = Run['status'];
export type RunPage = Schemas['RunPage'];

/** A consumer key of a project; `secret` only in the answer to its creation. */
export type ConsumerKey = Schemas['ConsumerKey'];
export type ConsumerKeyStatus = ConsumerKey['status'];
export type UsageRow = Schemas['UsageRow'];
