import { useMutation, useQueryClient } from '@tanstack/react-query';
import { apiJson } from '@/lib/api-client';
import type { Deployment, Visibility } from '@/types/api';
import { deploymentsKey } from './get-deployments';

export interface CreateDeploymentInput {
  image_id: string;
  memory_mb?: number;
  cpus?: number;
  visibility?: Visibility;
  env?: Record<string, string>;
}

export function createDeployment(input: CreateDeploymentInput): Promise<Deployment> {
  return apiJson<Deployment>('/api/v1/deployments', { method: 'POST', json: input });
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
