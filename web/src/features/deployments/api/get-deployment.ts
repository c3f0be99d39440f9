import { useQuery } from '@tanstack/react-query';
import { apiJson } from '@/lib/api-client';
import type { JsonResponse } from '@/lib/api/contract';
import type { Deployment } from '@/types/api';
import { isTransitional } from './deployment-status';
import { deploymentPath } from './paths';

export const deploymentKey = (id: string) => ['deployment', id] as const;

export function getDeployment(id: string): Promise<Deployment> {
  return apiJson<JsonResponse<'/api/v1/deployments/{id}', 'get'>>(deploymentPath(id));
}

/** One deployment, polled fast while it moves towards healthy. */
export function useDeployment(id: string) {
  return useQuery({
    queryKey: deploymentKey(id),
    queryFn: () => getDeployment(id),
    refetchInterval: (q) => {
      const status = q.state.data?.status;
      return status && isTransitional(status) ? 1000 : 5000;
    },
  });
}
