import { apiText } from '@/lib/api-client';
import { deploymentPath } from './paths';

/** The last `tail` lines as text. */
export function getDeploymentLogs(id: string, tail = 200): Promise<string> {
  return apiText(`${deploymentPath(id)}/logs?tail=${tail}`);
}

/** The SSE URL that follows the container's log live. */
export function deploymentLogsUrl(id: string, tail = 200): string {
  return `${deploymentPath(id)}/logs?tail=${tail}`;
}
