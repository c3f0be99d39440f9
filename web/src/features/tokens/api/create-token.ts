import { useMutation, useQueryClient } from '@tanstack/react-query';
import { apiJson } from '@/lib/api-client';
import type { JsonRequest, JsonResponse } from '@/lib/api/contract';
import type { ApiToken } from '@/types/api';
import { tokensKey } from './get-tokens';

export type CreateTokenInput = JsonRequest<'/api/v1/tokens', 'post'>;

/** Creates a token; the answer is the only time its secret is shown. */
export function createToken(input: CreateTokenInput): Promise<ApiToken> {
  return apiJson<JsonResponse<'/api/v1/tokens', 'post'>>('/api/v1/tokens', {
    method: 'POST',
    json: input,
  });
}

export function useCreateToken() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: createToken,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: tokensKey }),
  });
}
