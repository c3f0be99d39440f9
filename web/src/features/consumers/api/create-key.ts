import { useMutation, useQueryClient } from '@tanstack/react-query';
import { apiJson } from '@/lib/api-client';
import type { JsonRequest, JsonResponse } from '@/lib/api/contract';
import type { ConsumerKey } from '@/types/api';
import { consumerKeysKey, keysPath } from './paths';

export type NewConsumerKey = JsonRequest<'/api/v1/projects/{owner}/{name}/keys', 'post'>;

/** Issues a key; the answer is the only time its secret is shown. */
export function createConsumerKey(
  owner: string,
  name: string,
  input: NewConsumerKey,
): Promise<ConsumerKey> {
  return apiJson<JsonResponse<'/api/v1/projects/{owner}/{name}/keys', 'post'>>(
    keysPath(owner, name),
    { method: 'POST', json: input },
  );
}

export function useCreateConsumerKey(owner: string, name: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (input: NewConsumerKey) => createConsumerKey(owner, name, input),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: consumerKeysKey(owner, name) }),
  });
}
