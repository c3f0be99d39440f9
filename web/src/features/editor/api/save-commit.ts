import { useMutation, useQueryClient } from '@tanstack/react-query';
import { apiJson } from '@/lib/api-client';
import type { JsonRequest, JsonResponse } from '@/lib/api/contract';
import type { Commit } from '@/types/api';
import { projectPath } from '@/lib/api/paths';
import { filesKey } from './get-files';

type CommitRequest = JsonRequest<'/api/v1/projects/{owner}/{name}/commits', 'post'>;

/** One file written (`content`) or removed (`delete`). */
export type FileChange = CommitRequest['changes'][number];

export interface SaveCommitInput {
  owner: string;
  name: string;
  /** The head the edits are based on; the server answers 409 if it moved. */
  base: string;
  message: string;
  changes: FileChange[];
}

/** Applies the changes as one commit (POST …/commits with If-Match). */
export async function saveCommit(input: SaveCommitInput): Promise<Commit> {
  const json: CommitRequest = { message: input.message, changes: input.changes };
  const body = await apiJson<JsonResponse<'/api/v1/projects/{owner}/{name}/commits', 'post'>>(
    `${projectPath(input.owner, input.name)}/commits`,
    { method: 'POST', headers: { 'If-Match': input.base }, json },
  );
  return body.commit;
}

export function useSaveCommit() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: saveCommit,
    onSuccess: (_commit, input) => {
      void queryClient.invalidateQueries({ queryKey: filesKey(input.owner, input.name) });
      void queryClient.invalidateQueries({ queryKey: ['commits', input.owner, input.name] });
      void queryClient.invalidateQueries({ queryKey: ['project', input.owner, input.name] });
      void queryClient.invalidateQueries({ queryKey: ['projects'] });
    },
  });
}
