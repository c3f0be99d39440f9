import { useMutation, useQueryClient } from '@tanstack/react-query';
import { apiJson } from '@/lib/api-client';
import { projectPath } from '@/lib/api/paths';
import { projectsKey } from './get-projects';

export function deleteProject(owner: string, name: string): Promise<void> {
  return apiJson<void>(projectPath(owner, name), { method: 'DELETE' });
}

export function useDeleteProject() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ owner, name }: { owner: string; name: string }) => deleteProject(owner, name),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: projectsKey }),
  });
}
