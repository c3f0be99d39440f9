import type { BuildStatus } from '@/types/api';

/** A build that may still change: it is polled and its log followed. */
export function isBuildActive(status: BuildStatus): boolean {
  return status === 'queued' || status === 'running';
}
