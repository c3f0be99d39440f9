import type { Run, RunStatus } from '@/types/api';

/** Every status a run can have, in the order the filters list them. */
export const RUN_STATUSES: readonly RunStatus[] = [
  'queued',
  'running',
  'succeeded',
  'failed',
  'invalid_input',
  'timed_out',
  'canceled',
];

/** A run that may still change: it is polled and its log followed. */
export function isRunActive(status: RunStatus): boolean {
  return status === 'queued' || status === 'running';
}

/** A status in words (`timed_out` → `timed out`). */
export function runStatusWords(status: RunStatus): string {
  return status.replace('_', ' ');
}

/** What a run's badge says: the status, with the queue position while it waits. */
export function runStatusLabel(
  run: Pick<Run, 'status' | 'queue_position' | 'cancel_requested'>,
): string {
  if (run.status === 'queued' && run.queue_position !== null)
    return `queued · #${run.queue_position} in line`;
  if (run.status === 'running' && run.cancel_requested) return 'running · canceling';
  return runStatusWords(run.status);
}

/**
 * The model's statistics as a plain object. The contract types them as an
 * object of unknown keys; what the model reported is free-form.
 */
export function runStatistics(run: Pick<Run, 'statistics'>): Record<string, unknown> {
  const stats: unknown = run.statistics;
  return typeof stats === 'object' && stats !== null && !Array.isArray(stats)
    ? (stats as Record<string, unknown>)
    : {};
}

/** The options given at submit, as a plain object. */
export function runOptions(run: Pick<Run, 'options'>): Record<string, unknown> {
  const options: unknown = run.options;
  return typeof options === 'object' && options !== null && !Array.isArray(options)
    ? (options as Record<string, unknown>)
    : {};
}

/** The objective the model reported, if it is a number. */
export function runObjective(run: Pick<Run, 'statistics'>): number | null {
  const objective = runStatistics(run).objective;
  return typeof objective === 'number' && Number.isFinite(objective) ? objective : null;
}
