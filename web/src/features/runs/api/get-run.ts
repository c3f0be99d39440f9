import { useQuery } from '@tanstack/react-query';
import { apiJson } from '@/lib/api-client';
import type { JsonResponse } from '@/lib/api/contract';
import type { Run } from '@/types/api';
import { runPath } from './paths';
import { isRunActive } from './run-status';

export const runKey = (id: string) => ['run', id] as const;

export function getRun(id: string): Promise<Run> {
  return apiJson<JsonResponse<'/api/v1/runs/{id}', 'get'>>(runPath(id));
}

/** One run, polled while it waits or runs (its queue position moves). */
export function useRun(id: string) {
  return useQuery({
    queryKey: runKey(id),
    queryFn: () => getRun(id),
    refetchInterval: (q) => (q.state.data && isRunActive(q.state.data.status) ? 2000 : false),
  });
}
