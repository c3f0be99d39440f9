import { useMutation, useQueryClient } from '@tanstack/react-query';
import { apiJson } from '@/lib/api-client';
import type { JsonResponse } from '@/lib/api/contract';
import type { ConsumerKey } from '@/types/api';
import { consumerKeysKey, keysPath } from './paths';

/** Revokes a key: calls with it are refused (401) from then on. */
export function revokeConsumerKey(owner: string, name: string, id: string): Promise<ConsumerKey> {
  return apiJson<JsonResponse<'/api/v1/projects/{owner}/{name}/keys/{id}', 'delete'>>(
    `${keysPath(owner, name)}/${encodeURIComponent(id)}`,
    { method: 'DELETE' },
  );
}

export function useRevokeConsumerKey(owner: string, name: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => revokeConsumerKey(owner, name, id),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: consumerKeysKey(owner, name) }),
  });
}
