import { useQuery } from '@tanstack/react-query';
import { apiText } from '@/lib/api-client';
import { runPath } from './paths';

/** Where the result is downloaded from (the bytes as the model wrote them). */
export function runResultUrl(id: string): string {
  return `${runPath(id)}/result`;
}

export function getRunResult(id: string): Promise<string> {
  return apiText(runResultUrl(id), { headers: { Accept: 'application/json' } });
}

/** The result text; only asked for when the run has one (and it is small enough to show). */
export function useRunResult(id: string, enabled: boolean) {
  return useQuery({
    queryKey: ['run', id, 'result'],
    queryFn: () => getRunResult(id),
    enabled,
    // Content-addressed and final: it never changes.
    staleTime: Infinity,
  });
}
