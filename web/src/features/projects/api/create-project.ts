import { useMutation, useQueryClient } from '@tanstack/react-query';
import { apiJson } from '@/lib/api-client';
import type { Project } from '@/types/api';
import { projectsKey } from './get-projects';

export interface CreateProjectInput {
  name: string;
  template: string;
}

export function createProject(input: CreateProjectInput): Promise<Project> {
  return apiJson<Project>('/api/v1/projects', { method: 'POST', json: input });
}

export function useCreateProject() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: createProject,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: projectsKey }),
  });
}
