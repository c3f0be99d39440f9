import { useMutation, useQueryClient } from '@tanstack/react-query';
import { apiJson } from '@/lib/api-client';
import type { JsonRequest, JsonResponse } from '@/lib/api/contract';
import { projectPath } from '@/lib/api/paths';
import type { Run } from '@/types/api';
import { runKey } from './get-run';
import { runsKey } from './get-runs';

type SubmitBody = JsonRequest<'/api/v1/projects/{owner}/{name}/runs', 'post'>;

/** What the form sends: the options are free-form (the contract types them as an open object). */
export interface RunSubmission {
  input: unknown;
  options?: Record<string, unknown>;
  time_limit_s?: number;
  image_id?: string;
}

export function submitRun(owner: string, name: string, submission: RunSubmission): Promise<Run> {
  const json = submission as SubmitBody;
  return apiJson<JsonResponse<'/api/v1/projects/{owner}/{name}/runs', 'post'>>(
    `${projectPath(owner, name)}/runs`,
    { method: 'POST', json },
  );
}

export function useSubmitRun(owner: string, name: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (submission: RunSubmission) => submitRun(owner, name, submission),
    onSuccess: (run) => {
      // Shown at once; read again for what the submit answer leaves out (queue position).
      queryClient.setQueryData(runKey(run.id), run);
      void queryClient.invalidateQueries({ queryKey: runKey(run.id) });
      void queryClient.invalidateQueries({ queryKey: runsKey({ owner, name }) });
      void queryClient.invalidateQueries({ queryKey: runsKey('mine') });
    },
  });
}
