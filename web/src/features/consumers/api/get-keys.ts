import { useQuery } from '@tanstack/react-query';
import { apiJson } from '@/lib/api-client';
import type { JsonResponse } from '@/lib/api/contract';
import type { ConsumerKey } from '@/types/api';
import { consumerKeysKey, keysPath } from './paths';

/** The project's consumer keys, newest first, each with this month's use. */
export async function getConsumerKeys(owner: string, name: string): Promise<ConsumerKey[]> {
  const body = await apiJson<JsonResponse<'/api/v1/projects/{owner}/{name}/keys', 'get'>>(
    keysPath(owner, name),
  );
  return body.keys;
}

/** Polled, so that this month's counts move while customers call. */
export function useConsumerKeys(owner: string, name: string) {
  return useQuery({
    queryKey: consumerKeysKey(owner, name),
    queryFn: () => getConsumerKeys(owner, name),
    refetchInterval: 15_000,
  });
}
