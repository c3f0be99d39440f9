import { useState } from 'react';
import Form from 'react-bootstrap/Form';
import { LogView } from '@/components/ui/log-view';
import { useEventSource } from '@/lib/use-event-source';
import { deploymentLogsUrl } from '../api/get-deployment-logs';

const MAX_LINES = 2000;

/** The container's log tail, following live over SSE. */
export function DeploymentLogs({ id }: { id: string }) {
  const [lines, setLines] = useState<string[]>([]);
  const [follow, setFollow] = useState(true);
  useEventSource(deploymentLogsUrl(id), {
    // A reconnect replays the tail: start over instead of duplicating it.
    onOpen: () => setLines([]),
    onMessage: (line) => setLines((all) => [...all.slice(-(MAX_LINES - 1)), line]),
  });
  return (
    <div>
      <div className="d-flex justify-content-between align-items-center mb-1">
        <span className="small fw-semibold">Logs</span>
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
