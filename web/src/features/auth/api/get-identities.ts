import { useQuery } from '@tanstack/react-query';
import { apiJson } from '@/lib/api-client';
import type { JsonResponse } from '@/lib/api/contract';
import type { Identity } from '@/types/api';

export const identitiesKey = ['me', 'identities'] as const;

/** The provider identities linked to the signed-in user. */
export async function getIdentities(): Promise<Identity[]> {
  const body = await apiJson<JsonResponse<'/api/v1/me/identities', 'get'>>('/api/v1/me/identities');
  return body.identities;
}

export function useIdentities() {
  return useQuery({ queryKey: identitiesKey, queryFn: getIdentities });
}
