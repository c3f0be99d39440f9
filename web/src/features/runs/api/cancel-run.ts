import { useMutation, useQueryClient } from '@tanstack/react-query';
import { apiJson } from '@/lib/api-client';
import type { JsonResponse } from '@/lib/api/contract';
import type { Run } from '@/types/api';
import { runKey } from './get-run';
import { runPath } from './paths';

export function cancelRun(id: string): Promise<Run> {
  return apiJson<JsonResponse<'/api/v1/runs/{id}/cancel', 'post'>>(`${runPath(id)}/cancel`, {
    method: 'POST',
  });
}

export function useCancelRun() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: cancelRun,
    onSuccess: (run) => {
      queryClient.setQueryData(runKey(run.id), run);
      void queryClient.invalidateQueries({ queryKey: ['runs'] });
    },
  });
}
