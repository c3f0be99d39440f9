import { StatusBadge } from '@/components/ui/status-badge';
import type { Run } from '@/types/api';
import { runStatusLabel } from '../api/run-status';

/** A run's status as a badge; a queued run says where it waits. */
export function RunStatusBadge({
  run,
}: {
  run: Pick<Run, 'status' | 'queue_position' | 'cancel_requested'>;
}) {
  return <StatusBadge status={run.status} label={runStatusLabel(run)} />;
}
