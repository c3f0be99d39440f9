import { apiText } from '@/lib/api-client';
import { runPath } from './paths';

/** The URL of a run's solver log: text, or with SSE the live lines then `event: end`. */
export function runLogUrl(id: string): string {
  return `${runPath(id)}/log`;
}

/** The log so far as text (for a run that ended). */
export function getRunLog(id: string, signal?: AbortSignal): Promise<string> {
  return apiText(runLogUrl(id), { headers: { Accept: 'text/plain' }, signal });
}
