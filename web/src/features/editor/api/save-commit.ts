import { useMutation, useQueryClient } from '@tanstack/react-query';
import { apiJson } from '@/lib/api-client';
import type { Commit } from '@/types/api';
import { filesKey } from './get-files';
import { projectPath } from './paths';

export interface FileChange {
  path: string;
  content?: string;
  delete?: boolean;
}

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
  const body = await apiJson<{ commit: Commit }>(
    `${projectPath(input.owner, input.name)}/commits`,
    {
      method: 'POST',
      headers: { 'If-Match': input.base },
      json: { message: input.message, changes: input.changes },
    },
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
