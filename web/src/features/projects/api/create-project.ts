import { useMutation, useQueryClient } from '@tanstack/react-query';
import { apiJson } from '@/lib/api-client';
import type { JsonRequest, JsonResponse } from '@/lib/api/contract';
import type { Project } from '@/types/api';
import { projectsKey } from './get-projects';

export type CreateProjectInput = JsonRequest<'/api/v1/projects', 'post'>;

export function createProject(input: CreateProjectInput): Promise<Project> {
  return apiJson<JsonResponse<'/api/v1/projects', 'post'>>('/api/v1/projects', {
    method: 'POST',
    json: input,
  });
}

export function useCreateProject() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: createProject,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: projectsKey }),
  });
}
