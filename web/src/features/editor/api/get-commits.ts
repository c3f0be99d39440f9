import { useQuery } from '@tanstack/react-query';
import { apiJson } from '@/lib/api-client';
import type { JsonResponse } from '@/lib/api/contract';
import type { Commit } from '@/types/api';
import { projectPath } from '@/lib/api/paths';

export async function getCommits(owner: string, name: string): Promise<Commit[]> {
  const body = await apiJson<JsonResponse<'/api/v1/projects/{owner}/{name}/commits', 'get'>>(
    `${projectPath(owner, name)}/commits?limit=100`,
  );
  return body.commits;
}

export function useCommits(owner: string, name: string) {
  return useQuery({
    queryKey: ['commits', owner, name],
    queryFn: () => getCommits(owner, name),
  });
}
