import { useMutation, useQueryClient } from '@tanstack/react-query';
import { apiJson } from '@/lib/api-client';
import type { JsonRequest, JsonResponse } from '@/lib/api/contract';
import type { Build } from '@/types/api';
import { projectPath } from '@/lib/api/paths';
import { buildsKey } from './get-builds';

export function startBuild(owner: string, name: string, ref?: string): Promise<Build> {
  const json: JsonRequest<'/api/v1/projects/{owner}/{name}/builds', 'post'> = ref ? { ref } : {};
  return apiJson<JsonResponse<'/api/v1/projects/{owner}/{name}/builds', 'post'>>(
    `${projectPath(owner, name)}/builds`,
    { method: 'POST', json },
  );
}

export function useStartBuild(owner: string, name: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (ref?: string) => startBuild(owner, name, ref),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: buildsKey(owner, name) }),
  });
}
