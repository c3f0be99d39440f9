import { useCallback, useEffect, useRef, useState } from 'react';
import Alert from 'react-bootstrap/Alert';
import Button from 'react-bootstrap/Button';
import Form from 'react-bootstrap/Form';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { LogView } from '@/components/ui/log-view';
import { ErrorState, Loading } from '@/components/ui/states';
import { useEventSource } from '@/lib/use-event-source';
import type { Run } from '@/types/api';
import { getRunLog, runLogUrl } from '../api/get-run-log';
import { runKey } from '../api/get-run';
import { isRunActive } from '../api/run-status';
import { appendLines, bufferFromText, EMPTY_LOG, type LogBuffer } from './log-buffer';

/** How long lines gather before the page draws them (a chatty model prints thousands a second). */
const FLUSH_MS = 100;

/**
 * The live log of a running run: lines over SSE, gathered and drawn in
 * batches into a bounded buffer; the `end` event carries the ended run.
 */
function useLiveLog(run: Run, enabled: boolean) {
  const queryClient = useQueryClient();
  const [buffer, setBuffer] = useState<LogBuffer>(EMPTY_LOG);
  const [ended, setEnded] = useState(false);
  const [broken, setBroken] = useState(false);
  const pending = useRef<string[]>([]);
  const timer = useRef<number | null>(null);

  const flush = useCallback(() => {
    timer.current = null;
    const lines = pending.current;
    pending.current = [];
    setBuffer((b) => appendLines(b, lines));
  }, []);
  useEffect(
    () => () => {
      if (timer.current !== null) window.clearTimeout(timer.current);
    },
    [],
  );

  const following = enabled && !ended && !broken;
  useEventSource(following ? runLogUrl(run.id) : null, {
    onOpen: () => {
      // The server replays the log from its start on every connection.
      pending.current = [];
      setBuffer(EMPTY_LOG);
    },
    onMessage: (line) => {
      pending.current.push(line);
      timer.current ??= window.setTimeout(flush, FLUSH_MS);
    },
    onEvent: {
      end: (data) => {
        if (timer.current !== null) window.clearTimeout(timer.current);
        flush();
        try {
          queryClient.setQueryData(runKey(run.id), JSON.parse(data) as Run);
        } catch {
          void queryClient.invalidateQueries({ queryKey: runKey(run.id) });
        }
        void queryClient.invalidateQueries({ queryKey: ['runs'] });
        setEnded(true);
        return true;
      },
    },
    onError: () => setBroken(true),
  });
  return { buffer, ended, broken, reconnect: () => setBroken(false) };
}

/**
 * A run's solver log: followed live while it runs, read as text once it
 * ended; nothing to fetch for a run that never started.
 */
export function RunLog({ run }: { run: Run }) {
  const [follow, setFollow] = useState(true);
  const live = useLiveLog(run, run.status === 'running');
  const started = run.started_at !== null;
  // An ended run whose end the stream did not bring: its whole log as text.
  const needText = !isRunActive(run.status) && started && !live.ended;
  const text = useQuery({
    queryKey: ['run', run.id, 'log'],
    queryFn: async ({ signal }) => bufferFromText(await getRunLog(run.id, signal)),
    enabled: needText,
    staleTime: Infinity,
  });

  let body;
  if (!started) {
    body = (
      <p className="text-secondary small mb-0" data-testid="run-log-empty">
        {run.status === 'queued'
          ? 'The log starts when the run leaves the queue.'
          : 'The run never started: it has no log.'}
      </p>
    );
  } else if (needText && text.isLoading) {
    body = <Loading label="Loading the log…" />;
  } else if (needText && text.isError) {
    body = <ErrorState error={text.error} onRetry={() => void text.refetch()} />;
  } else {
    const buffer = needText ? (text.data ?? EMPTY_LOG) : live.buffer;
    body = (
      <>
        {buffer.dropped > 0 ? (
          <p className="small text-secondary mb-1" data-testid="run-log-dropped">
            {buffer.dropped.toLocaleString()} earlier lines are not shown here; download the log for
            all of it.
          </p>
        ) : null}
        <LogView
          lines={buffer.lines}
          follow={follow}
          label="Solver log"
          emptyText={run.status === 'running' ? 'No output yet.' : 'The model printed nothing.'}
        />
      </>
    );
  }
  return (
    <section className="mb-4">
      <div className="d-flex align-items-center gap-3 mb-2">
        <h3 className="h6 mb-0">Solver log</h3>
        {run.status === 'running' ? (
          <Form.Check
            type="switch"
            id="run-log-follow"
            label="Follow"
            checked={follow}
            onChange={(e) => setFollow(e.target.checked)}
          />
        ) : null}
        {started ? (
          <a className="small ms-auto" href={runLogUrl(run.id)} download={`${run.id}.log`}>
            Download log
          </a>
        ) : null}
      </div>
      {live.broken && run.status === 'running' ? (
        <Alert variant="warning" className="py-2 d-flex align-items-center gap-2">
          The live log disconnected; showing what arrived.
          <Button size="sm" variant="outline-secondary" onClick={live.reconnect}>
            Reconnect
          </Button>
        </Alert>
      ) : null}
      {body}
    </section>
  );
}
