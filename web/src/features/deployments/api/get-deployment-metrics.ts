import { useQuery } from '@tanstack/react-query';
import { apiJson } from '@/lib/api-client';
import type { JsonResponse } from '@/lib/api/contract';
import type { DeploymentMetrics } from '@/types/api';
import { deploymentPath } from './paths';

export function getDeploymentMetrics(id: string): Promise<DeploymentMetrics> {
  return apiJson<JsonResponse<'/api/v1/deployments/{id}/metrics', 'get'>>(
    `${deploymentPath(id)}/metrics`,
  );
}

/** Cumulative counters, polled; the charts turn successive polls into rates. */
export function useDeploymentMetrics(id: string, intervalMs = 5000) {
  return useQuery({
    queryKey: ['deployment', id, 'metrics'],
    queryFn: () => getDeploymentMetrics(id),
    refetchInterval: intervalMs,
    staleTime: 0,
  });
}
