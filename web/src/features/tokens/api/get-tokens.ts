import { useQuery } from '@tanstack/react-query';
import { apiJson } from '@/lib/api-client';
import type { JsonResponse } from '@/lib/api/contract';
import type { ApiToken } from '@/types/api';

export const tokensKey = ['tokens'] as const;

export async function getTokens(): Promise<ApiToken[]> {
  const body = await apiJson<JsonResponse<'/api/v1/tokens', 'get'>>('/api/v1/tokens');
  return body.tokens;
}

export function useTokens() {
  return useQuery({ queryKey: tokensKey, queryFn: getTokens });
}
