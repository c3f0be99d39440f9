import { useQuery } from '@tanstack/react-query';
import { apiJson } from '@/lib/api-client';
import type { JsonResponse } from '@/lib/api/contract';
import type { Deployment } from '@/types/api';
import { isTransitional } from './deployment-status';

export const deploymentsKey = ['deployments'] as const;

/** The caller's deployments, optionally of one project (`owner/name`). */
export async function getDeployments(project?: string): Promise<Deployment[]> {
  const query = project ? `?project=${encodeURIComponent(project)}` : '';
  const body = await apiJson<JsonResponse<'/api/v1/deployments', 'get'>>(
    `/api/v1/deployments${query}`,
  );
  return body.deployments;
}

export function useDeployments(project?: string) {
  return useQuery({
    queryKey: [...deploymentsKey, project ?? 'all'],
    queryFn: () => getDeployments(project),
    refetchInterval: (q) => (q.state.data?.some((d) => isTransitional(d.status)) ? 1500 : 10_000),
  });
}
