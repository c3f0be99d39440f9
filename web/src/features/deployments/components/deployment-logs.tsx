import { useState } from 'react';
import Form from 'react-bootstrap/Form';
import { LogView } from '@/components/ui/log-view';
import { useEventSource } from '@/lib/use-event-source';
import { deploymentLogsUrl } from '../api/get-deployment-logs';

const MAX_LINES = 2000;

/** The error in the data of `event: end` (`{}` or `{"error": "…"}`), if any. */
export function endReason(data: string): string | null {
  try {
    const body: unknown = JSON.parse(data);
    if (typeof body === 'object' && body !== null && 'error' in body) {
      const error = body.error;
      if (typeof error === 'string' && error) return error;
    }
  } catch {
    // not JSON: no reason
  }
  return null;
}

/**
 * The container's log tail, following live over SSE. The server ends the
 * stream (`event: end`) when the container stops, or at once when none runs
 * yet; the stream is opened again when `generation` changes (the deployment
 * started, restarted or changed status), not in a reconnect loop.
 */
export function DeploymentLogs({ id, generation }: { id: string; generation: string }) {
  const [lines, setLines] = useState<string[]>([]);
  const [follow, setFollow] = useState(true);
  const [endedAt, setEndedAt] = useState<string | null>(null);
  const [endError, setEndError] = useState<string | null>(null);
  const ended = endedAt === generation;
  useEventSource(ended ? null : deploymentLogsUrl(id), {
    // A reconnect replays the tail: start over instead of duplicating it.
    onOpen: () => setLines([]),
    onMessage: (line) => setLines((all) => [...all.slice(-(MAX_LINES - 1)), line]),
    onEvent: {
      end: (data) => {
        setEndError(endReason(data));
        setEndedAt(generation);
        return true;
      },
    },
  });
  return (
    <div>
      <div className="d-flex justify-content-between align-items-center mb-1">
        <span className="small fw-semibold">
          Logs{' '}
          <span className="fw-normal text-secondary" data-testid="deployment-log-state">
            {ended
              ? `(not following: ${endError ?? 'the container is not running'})`
              : '(following)'}
          </span>
        </span>
        <Form.Check
          type="switch"
          id={`follow-${id}`}
          label="Follow"
          checked={follow}
          onChange={(e) => setFollow(e.target.checked)}
        />
      </div>
      <LogView lines={lines} follow={follow} label="Deployment log" height={260} />
    </div>
  );
}
