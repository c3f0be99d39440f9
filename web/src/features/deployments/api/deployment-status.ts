import type { DeploymentStatus } from '@/types/api';

/** On its way to healthy: polled fast until it gets there or fails. */
export function isTransitional(status: DeploymentStatus): boolean {
  return status === 'pending' || status === 'pulling' || status === 'starting';
}
