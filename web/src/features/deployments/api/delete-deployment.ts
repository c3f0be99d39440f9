import { useMutation, useQueryClient } from '@tanstack/react-query';
import { apiJson } from '@/lib/api-client';
import { deploymentsKey } from './get-deployments';
import { deploymentPath } from './paths';

export function deleteDeployment(id: string): Promise<void> {
  return apiJson<void>(deploymentPath(id), { method: 'DELETE' });
}

export function useDeleteDeployment() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: deleteDeployment,
    onSuccess: (_v, id) => {
      queryClient.removeQueries({ queryKey: ['deployment', id] });
      void queryClient.invalidateQueries({ queryKey: deploymentsKey });
      void queryClient.invalidateQueries({ queryKey: ['images'] });
    },
  });
}
