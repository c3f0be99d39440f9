import { useQuery } from '@tanstack/react-query';
import { apiJson } from '@/lib/api-client';
import type { Project } from '@/types/api';

export const projectsKey = ['projects'] as const;

export async function getProjects(): Promise<Project[]> {
  const body = await apiJson<{ projects: Project[] }>('/api/v1/projects');
  return body.projects;
}

export function useProjects() {
  return useQuery({ queryKey: projectsKey, queryFn: getProjects });
}
