import { useQuery } from '@tanstack/react-query';
import { apiJson } from '@/lib/api-client';
import type { JsonResponse } from '@/lib/api/contract';
import type { Build } from '@/types/api';
import { isBuildActive } from './build-status';
import { buildPath } from './paths';

export const buildKey = (id: string) => ['build', id] as const;

export function getBuild(id: string): Promise<Build> {
  return apiJson<JsonResponse<'/api/v1/builds/{id}', 'get'>>(buildPath(id));
}

export function useBuild(id: string) {
  return useQuery({
    queryKey: buildKey(id),
    queryFn: () => getBuild(id),
    refetchInterval: (q) => (q.state.data && isBuildActive(q.state.data.status) ? 3000 : false),
  });
}
