import { useInfiniteQuery } from '@tanstack/react-query';
import { apiJson } from '@/lib/api-client';
import type { JsonResponse } from '@/lib/api/contract';
import { projectPath } from '@/lib/api/paths';
import type { RunPage, RunStatus } from '@/types/api';
import { isRunActive } from './run-status';

export const RUNS_PAGE_SIZE = 25;

/** Whose runs a history lists: a project's, or the caller's own across projects. */
export type RunsScope = { owner: string; name: string } | 'mine';

export const runsKey = (scope: RunsScope) =>
  scope === 'mine' ? (['runs', 'mine'] as const) : (['runs', scope.owner, scope.name] as const);

function runsQuery(status: RunStatus | '', cursor: string | null, limit: number): string {
  const query = new URLSearchParams({ limit: String(limit) });
  if (status) query.set('status', status);
  if (cursor) query.set('cursor', cursor);
  return query.toString();
}

/** One page of runs, newest first. */
export function getRuns(
  scope: RunsScope,
  status: RunStatus | '' = '',
  cursor: string | null = null,
  limit = RUNS_PAGE_SIZE,
): Promise<RunPage> {
  const query = runsQuery(status, cursor, limit);
  if (scope === 'mine')
    return apiJson<JsonResponse<'/api/v1/runs', 'get'>>(`/api/v1/runs?${query}`);
  return apiJson<JsonResponse<'/api/v1/projects/{owner}/{name}/runs', 'get'>>(
    `${projectPath(scope.owner, scope.name)}/runs?${query}`,
  );
}

/**
 * The runs of `scope`, page after page ("Load more" follows next_cursor);
 * polled while one of them waits or runs.
 */
export function useRuns(scope: RunsScope, status: RunStatus | '' = '') {
  return useInfiniteQuery({
    queryKey: [...runsKey(scope), status],
    queryFn: ({ pageParam }) => getRuns(scope, status, pageParam),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor,
    refetchInterval: (q) =>
      q.state.data?.pages.some((p) => p.runs.some((r) => isRunActive(r.status))) ? 3000 : false,
  });
}
