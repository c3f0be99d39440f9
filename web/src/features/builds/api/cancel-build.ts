import { useMutation, useQueryClient } from '@tanstack/react-query';
import { apiJson } from '@/lib/api-client';
import type { JsonResponse } from '@/lib/api/contract';
import type { Build } from '@/types/api';
import { buildKey } from './get-build';
import { buildPath } from './paths';

export function cancelBuild(id: string): Promise<Build> {
  return apiJson<JsonResponse<'/api/v1/builds/{id}/cancel', 'post'>>(`${buildPath(id)}/cancel`, {
    method: 'POST',
  });
}

export function useCancelBuild() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: cancelBuild,
    onSuccess: (build) => queryClient.setQueryData(buildKey(build.id), build),
  });
}
