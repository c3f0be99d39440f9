import { useMutation, useQueryClient } from '@tanstack/react-query';
import { apiJson } from '@/lib/api-client';
import type { ApiToken, TokenScope } from '@/types/api';
import { tokensKey } from './get-tokens';

export interface CreateTokenInput {
  name: string;
  expires_in_days?: number;
  /** Omitted: every scope the session holds. */
  scopes?: TokenScope[];
}

/** Creates a token; the answer is the only time its secret is shown. */
export function createToken(input: CreateTokenInput): Promise<ApiToken> {
  return apiJson<ApiToken>('/api/v1/tokens', { method: 'POST', json: input });
}

export function useCreateToken() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: createToken,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: tokensKey }),
  });
}
