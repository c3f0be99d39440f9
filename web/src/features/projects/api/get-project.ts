import { useQuery } from '@tanstack/react-query';
import { apiJson } from '@/lib/api-client';
import type { JsonResponse } from '@/lib/api/contract';
import { projectPath } from '@/lib/api/paths';
import type { Project } from '@/types/api';

export const projectKey = (owner: string, name: string) => ['project', owner, name] as const;

export function getProject(owner: string, name: string): Promise<Project> {
  return apiJson<JsonResponse<'/api/v1/projects/{owner}/{name}', 'get'>>(projectPath(owner, name));
}

export function useProject(owner: string, name: string) {
  return useQuery({ queryKey: projectKey(owner, name), queryFn: () => getProject(owner, name) });
}
