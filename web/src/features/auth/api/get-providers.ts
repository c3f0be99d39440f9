import { useQuery } from '@tanstack/react-query';
import { apiJson } from '@/lib/api-client';
import type { JsonResponse } from '@/lib/api/contract';
import type { IdentityProvider } from '@/types/api';

export const providersKey = ['auth', 'providers'] as const;

/** The identity providers this installation signs in with; empty when none. */
export async function getProviders(): Promise<IdentityProvider[]> {
  const body = await apiJson<JsonResponse<'/api/v1/auth/providers', 'get'>>(
    '/api/v1/auth/providers',
    { allowUnauthorized: true },
  );
  return body.providers;
}

export function useProviders() {
  return useQuery({ queryKey: providersKey, queryFn: getProviders, staleTime: 5 * 60_000 });
}
