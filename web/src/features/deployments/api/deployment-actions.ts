import { useMutation, useQueryClient } from '@tanstack/react-query';
import { apiJson } from '@/lib/api-client';
import type { JsonResponse } from '@/lib/api/contract';
import type { Deployment } from '@/types/api';
import { deploymentKey } from './get-deployment';
import { deploymentsKey } from './get-deployments';
import { deploymentPath } from './paths';

export function stopDeployment(id: string): Promise<Deployment> {
  return apiJson<JsonResponse<'/api/v1/deployments/{id}/stop', 'post'>>(
    `${deploymentPath(id)}/stop`,
    { method: 'POST' },
  );
}

export function startDeployment(id: string): Promise<Deployment> {
  return apiJson<JsonResponse<'/api/v1/deployments/{id}/start', 'post'>>(
    `${deploymentPath(id)}/start`,
    { method: 'POST' },
  );
}

function useDeploymentAction(action: (id: string) => Promise<Deployment>) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: action,
    onSuccess: (deployment, id) => {
      if (deployment) queryClient.setQueryData(deploymentKey(id), deployment);
      void queryClient.invalidateQueries({ queryKey: deploymentKey(id) });
      void queryClient.invalidateQueries({ queryKey: deploymentsKey });
    },
  });
}

export const useStopDeployment = () => useDeploymentAction(stopDeployment);
export const useStartDeployment = () => useDeploymentAction(startDeployment);
