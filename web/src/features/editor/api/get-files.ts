import { useQuery } from '@tanstack/react-query';
import { apiJson } from '@/lib/api-client';
import type { JsonResponse } from '@/lib/api/contract';
import type { FileTree } from '@/types/api';
import { projectPath } from '@/lib/api/paths';

export const filesKey = (owner: string, name: string) => ['files', owner, name] as const;

/** Every file at the head of main, with the head commit. */
export function getFiles(owner: string, name: string): Promise<FileTree> {
  return apiJson<JsonResponse<'/api/v1/projects/{owner}/{name}/files', 'get'>>(
    `${projectPath(owner, name)}/files`,
  );
}

export function useFiles(owner: string, name: string) {
  return useQuery({ queryKey: filesKey(owner, name), queryFn: () => getFiles(owner, name) });
}
