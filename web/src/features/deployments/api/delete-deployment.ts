import { useMutation, useQueryClient } from '@tanstack/react-query';
import { apiJson } from '@/lib/api-client';
import type { Deployment } from '@/types/api';
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
      // Drop it from every cached list first, so that nothing rendered from
      // a list asks for the deleted deployment (a 404) before the refetch.
      queryClient.setQueriesData<Deployment[]>({ queryKey: deploymentsKey }, (old) =>
        old?.filter((d) => d.id !== id),
      );
      queryClient.removeQueries({ queryKey: ['deployment', id] });
      void queryClient.invalidateQueries({ queryKey: deploymentsKey });
      void queryClient.invalidateQueries({ queryKey: ['images'] });
    },
  });
}
