import { useQuery } from '@tanstack/react-query';
import { apiJson } from '@/lib/api-client';
import type { JsonResponse } from '@/lib/api/contract';
import type { Build } from '@/types/api';
import { projectPath } from '@/lib/api/paths';
import { isBuildActive } from './build-status';

export const buildsKey = (owner: string, name: string) => ['builds', owner, name] as const;

export async function getBuilds(owner: string, name: string, limit = 50): Promise<Build[]> {
  const body = await apiJson<JsonResponse<'/api/v1/projects/{owner}/{name}/builds', 'get'>>(
    `${projectPath(owner, name)}/builds?limit=${limit}`,
  );
  return body.builds;
}

/** The project's builds, polled while one is queued or running. */
export function useBuilds(owner: string, name: string, limit = 50) {
  return useQuery({
    queryKey: [...buildsKey(owner, name), limit],
    queryFn: () => getBuilds(owner, name, limit),
    refetchInterval: (q) => (q.state.data?.some((b) => isBuildActive(b.status)) ? 2000 : false),
  });
}
