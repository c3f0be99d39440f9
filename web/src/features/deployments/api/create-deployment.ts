import { useMutation, useQueryClient } from '@tanstack/react-query';
import { apiJson } from '@/lib/api-client';
import type { JsonRequest, JsonResponse } from '@/lib/api/contract';
import type { Deployment } from '@/types/api';
import { deploymentsKey } from './get-deployments';

export type CreateDeploymentInput = JsonRequest<'/api/v1/deployments', 'post'>;

export function createDeployment(input: CreateDeploymentInput): Promise<Deployment> {
  return apiJson<JsonResponse<'/api/v1/deployments', 'post'>>('/api/v1/deployments', {
    method: 'POST',
    json: input,
  });
}

export function useCreateDeployment() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: createDeployment,
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: deploymentsKey });
      void queryClient.invalidateQueries({ queryKey: ['images'] });
    },
  });
}
