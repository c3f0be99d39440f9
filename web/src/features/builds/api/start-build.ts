import { useMutation, useQueryClient } from '@tanstack/react-query';
import { apiJson } from '@/lib/api-client';
import type { Build } from '@/types/api';
import { buildsKey } from './get-builds';
import { projectPath } from './paths';

export function startBuild(owner: string, name: string, ref?: string): Promise<Build> {
  return apiJson<Build>(`${projectPath(owner, name)}/builds`, {
    method: 'POST',
    json: ref ? { ref } : {},
  });
}

export function useStartBuild(owner: string, name: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (ref?: string) => startBuild(owner, name, ref),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: buildsKey(owner, name) }),
  });
}
