import { useQuery } from '@tanstack/react-query';
import { apiJson } from '@/lib/api-client';
import type { CommitDetail } from '@/types/api';
import { projectPath } from './paths';

/** One commit with the unified diff of each file against its first parent. */
export function getCommit(owner: string, name: string, sha: string): Promise<CommitDetail> {
  return apiJson<CommitDetail>(`${projectPath(owner, name)}/commits/${encodeURIComponent(sha)}`);
}

export function useCommit(owner: string, name: string, sha: string | null) {
  return useQuery({
    queryKey: ['commits', owner, name, 'detail', sha],
    queryFn: () => getCommit(owner, name, sha ?? ''),
    enabled: sha !== null,
    staleTime: Infinity,
  });
}
