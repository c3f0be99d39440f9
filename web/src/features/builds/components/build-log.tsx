import { useEffect, useState } from 'react';
import Alert from 'react-bootstrap/Alert';
import Button from 'react-bootstrap/Button';
import ProgressBar from 'react-bootstrap/ProgressBar';
import { useQueryClient } from '@tanstack/react-query';
import { Link } from 'react-router';
import { LogView } from '@/components/ui/log-view';
import { ErrorState, Loading } from '@/components/ui/states';
import { StatusBadge } from '@/components/ui/status-badge';
import { useToast } from '@/components/ui/toasts';
import { formatDuration, secondsBetween, shortSha } from '@/lib/format';
import { useEventSource } from '@/lib/use-event-source';
import type { Build } from '@/types/api';
import { buildLogUrl } from '../api/build-log-url';
import { buildKey, useBuild } from '../api/get-build';
import { buildsKey } from '../api/get-builds';
import { buildToast, buildToastKey, isBuildActive } from '../api/build-status';
import { useCancelBuild } from '../api/cancel-build';
import { BUILD_STEPS, finishedSteps } from './build-steps';

function useNow(active: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    const t = window.setInterval(() => setNow(Date.now()), 1000);
    return () => window.clearInterval(t);
  }, [active]);
  return now;
}

/** A build's live log (SSE), step progress and elapsed time. */
export function BuildLog({ id, imagesHref }: { id: string; imagesHref?: string }) {
  const build = useBuild(id);
  const queryClient = useQueryClient();
  const cancel = useCancelBuild();
  const toast = useToast();
  const [lines, setLines] = useState<string[]>([]);
  const [ended, setEnded] = useState(false);
  const [streamError, setStreamError] = useState(false);

  useEventSource(ended ? null : buildLogUrl(id), {
    onOpen: () => {
      setLines([]);
      setStreamError(false);
    },
    onMessage: (line) => setLines((all) => [...all, line]),
    onEvent: {
      end: (data) => {
        try {
          const final = JSON.parse(data) as Build;
          queryClient.setQueryData(buildKey(id), final);
          void queryClient.invalidateQueries({ queryKey: buildsKey(final.owner, final.name) });
        } catch {
          void queryClient.invalidateQueries({ queryKey: buildKey(id) });
        }
        setEnded(true);
        return true;
      },
    },
    onError: () => setStreamError(true),
  });

  const b = build.data;
  const active = b ? isBuildActive(b.status) : false;
  const { update: updateToast } = toast;
  const buildNumber = b?.number;
  const buildStatus = b?.status;
  useEffect(() => {
    // The "queued" toast must not outlive the queue: say what became of the build.
    if (buildNumber === undefined || buildStatus === undefined || buildStatus === 'queued') return;
    const { variant, message } = buildToast({ number: buildNumber, status: buildStatus });
    updateToast(buildToastKey(id), variant, message);
  }, [id, buildNumber, buildStatus, updateToast]);
  const now = useNow(active);
  if (build.isLoading) return <Loading label="Loading the build…" />;
  if (build.isError) return <ErrorState error={build.error} />;
  if (!b) return null;

  const steps = finishedSteps(lines);
  const percent = b.status === 'succeeded' ? 100 : (steps.length / BUILD_STEPS.length) * 100;
  const elapsed = b.duration_s ?? secondsBetween(b.started_at ?? b.created_at, b.finished_at);
  void now;
  const variant =
    b.status === 'failed' ? 'danger' : b.status === 'succeeded' ? 'success' : undefined;
  return (
    <div className="build-log">
      <div className="d-flex align-items-center gap-3 mb-2 flex-wrap">
        <h2 className="h5 mb-0">Build #{b.number}</h2>
        <StatusBadge status={b.status} />
        <span className="small text-secondary">
          commit <code>{shortSha(b.commit)}</code>
        </span>
        <span className="small" data-testid="elapsed">
          Elapsed: {formatDuration(elapsed)}
        </span>
        {active ? (
          <Button
            size="sm"
            variant="outline-danger"
            disabled={cancel.isPending}
            onClick={() =>
              cancel.mutate(b.id, { onError: (e) => toast.notifyError(e, 'Cancel failed') })
            }
          >
            Cancel build
          </Button>
        ) : null}
        {b.image_id && imagesHref ? (
          <Link to={imagesHref} className="small">
            Image tag {b.number} →
          </Link>
        ) : null}
      </div>
      <ProgressBar
        now={percent}
        variant={variant}
        animated={active}
        striped={active}
        label={`${steps.length}/${BUILD_STEPS.length} steps`}
        aria-label="Build progress"
        className="mb-1"
      />
      <div className="d-flex gap-3 small mb-2 text-secondary" aria-label="Build steps">
        {BUILD_STEPS.map((s) => (
          <span key={s} className={steps.includes(s) ? 'text-success fw-semibold' : undefined}>
            {steps.includes(s) ? '✓' : '○'} {s}
          </span>
        ))}
      </div>
      {b.status === 'failed' && b.error ? (
        <Alert variant="danger" className="py-2">
          Build failed: {b.error}
        </Alert>
      ) : null}
      {streamError && !ended ? (
        <Alert variant="warning" className="py-2">
          The live log disconnected; showing what arrived.
        </Alert>
      ) : null}
      <LogView
        lines={lines}
        label="Build log"
        emptyText={b.status === 'queued' ? 'Waiting for a builder…' : 'No output yet.'}
      />
    </div>
  );
}
