import type { ToastVariant } from '@/components/ui/toasts';
import type { DeploymentStatus } from '@/types/api';

/** On its way to healthy: polled fast until it gets there or fails. */
export function isTransitional(status: DeploymentStatus): boolean {
  return status === 'pending' || status === 'pulling' || status === 'starting';
}

/** The key of the toast about deployment `id`: news of it replaces the toast. */
export function deploymentToastKey(id: string): string {
  return `deployment:${id}`;
}

/** What the toast about a deployment says once it is no longer on its way. */
export function deploymentToast(
  imageTag: string,
  status: DeploymentStatus,
): { variant: ToastVariant; message: string } {
  if (status === 'healthy')
    return { variant: 'success', message: `Deployment of image ${imageTag} is healthy.` };
  if (status === 'failed' || status === 'crashloop')
    return { variant: 'warning', message: `Deployment of image ${imageTag}: ${status}.` };
  return { variant: 'info', message: `Deployment of image ${imageTag}: ${status}.` };
}
