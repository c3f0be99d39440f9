import { useQuery } from '@tanstack/react-query';
import { apiJson } from '@/lib/api-client';
import type { JsonResponse } from '@/lib/api/contract';
import type { CommitDetail } from '@/types/api';
import { projectPath } from '@/lib/api/paths';

/** One commit with the unified diff of each file against its first parent. */
export function getCommit(owner: string, name: string, sha: string): Promise<CommitDetail> {
  return apiJson<JsonResponse<'/api/v1/projects/{owner}/{name}/commits/{sha}', 'get'>>(
    `${projectPath(owner, name)}/commits/${encodeURIComponent(sha)}`,
  );
}

export function useCommit(owner: string, name: string, sha: string | null) {
  return useQuery({
    queryKey: ['commits', owner, name, 'detail', sha],
    queryFn: () => getCommit(owner, name, sha ?? ''),
    enabled: sha !== null,
    staleTime: Infinity,
  });
}
