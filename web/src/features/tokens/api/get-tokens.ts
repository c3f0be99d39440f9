import { useQuery } from '@tanstack/react-query';
import { apiJson } from '@/lib/api-client';
import type { ApiToken } from '@/types/api';

export const tokensKey = ['tokens'] as const;

export async function getTokens(): Promise<ApiToken[]> {
  const body = await apiJson<{ tokens: ApiToken[] }>('/api/v1/tokens');
  return body.tokens;
}

export function useTokens() {
  return useQuery({ queryKey: tokensKey, queryFn: getTokens });
}
