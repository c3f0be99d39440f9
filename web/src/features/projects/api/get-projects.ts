import { useQuery } from '@tanstack/react-query';
import { apiJson } from '@/lib/api-client';
import type { JsonResponse } from '@/lib/api/contract';
import type { Project } from '@/types/api';

export const projectsKey = ['projects'] as const;

export async function getProjects(): Promise<Project[]> {
  const body = await apiJson<JsonResponse<'/api/v1/projects', 'get'>>('/api/v1/projects');
  return body.projects;
}

export function useProjects() {
  return useQuery({ queryKey: projectsKey, queryFn: getProjects });
}
