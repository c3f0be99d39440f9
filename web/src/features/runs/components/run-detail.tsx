import type { ReactNode } from 'react';
import Alert from 'react-bootstrap/Alert';
import Card from 'react-bootstrap/Card';
import Col from 'react-bootstrap/Col';
import Row from 'react-bootstrap/Row';
import { Link } from 'react-router';
import { CopyButton } from '@/components/ui/copy-button';
import { NotFound } from '@/components/ui/not-found';
import { ErrorState, Loading } from '@/components/ui/states';
import { ApiError } from '@/lib/api-client';
import { formatBytes, formatDuration, formatTime, shortDigest, shortSha } from '@/lib/format';
import type { Run } from '@/types/api';
import { runPath } from '../api/paths';
import { useRun } from '../api/get-run';
import { isRunActive, runOptions, runStatistics } from '../api/run-status';
import { CancelRunButton } from './cancel-run-button';
import { RunLog } from './run-log';
import type { RunLinks } from './run-links';
import { RunResult } from './run-result';
import { RunStatusBadge } from './run-status-badge';
import { runDuration } from './runs-table';

/** Rows of a definition list: term, then what it is. */
function Facts({ rows }: { rows: [string, ReactNode][] }) {
  return (
    <dl className="run-facts mb-0">
      {rows.map(([term, value]) => (
        <div key={term} className="d-flex gap-2">
          <dt className="fw-normal text-secondary">{term}</dt>
          <dd className="mb-1">{value}</dd>
        </div>
      ))}
    </dl>
  );
}

function InfoCard({ title, children }: { title: string; children: ReactNode }) {
  return (
    <Card className="h-100">
      <Card.Header className="py-1 small fw-semibold">{title}</Card.Header>
      <Card.Body className="py-2 small">{children}</Card.Body>
    </Card>
  );
}

/** Free-form values (options, statistics) as rows; JSON for anything not a scalar. */
function valueRows(values: Record<string, unknown>): [string, ReactNode][] {
  return Object.entries(values).map(([k, v]) => [
    k,
    <code key={k}>{typeof v === 'string' ? v : JSON.stringify(v)}</code>,
  ]);
}

const REASON_VARIANT: Partial<Record<Run['status'], string>> = {
  failed: 'danger',
  invalid_input: 'danger',
  timed_out: 'warning',
  canceled: 'secondary',
  succeeded: 'success',
};

function Times({ run }: { run: Run }) {
  const rows: [string, ReactNode][] = [
    ['Submitted', `${formatTime(run.created_at)} by ${run.submitter}`],
    ['Started', formatTime(run.started_at)],
    ['Finished', formatTime(run.finished_at)],
    [run.finished_at ? 'Duration' : 'Running for', formatDuration(runDuration(run))],
    ['Exit code', run.exit_code === null ? '—' : String(run.exit_code)],
  ];
  if (run.status === 'queued' && run.queue_position !== null)
    rows.splice(1, 0, ['Queue', `#${run.queue_position} in line`]);
  return (
    <InfoCard title="Times">
      <Facts rows={rows} />
    </InfoCard>
  );
}

function Trace({ run, links }: { run: Run; links: RunLinks }) {
  const t = run.trace;
  return (
    <InfoCard title="Trace">
      <Facts
        rows={[
          ['Project', <Link to={links.project(run)}>{run.project}</Link>],
          [
            'Commit',
            <Link to={links.commit(run)} title={t.commit}>
              <code>{shortSha(t.commit)}</code>
            </Link>,
          ],
          [
            'Build',
            <Link to={links.build(run)}>
              <code>{t.build_id}</code>
            </Link>,
          ],
          [
            'Image',
            <>
              <Link to={links.images(run)} title={t.image_digest}>
                <code>{shortDigest(t.image_digest)}</code>
              </Link>{' '}
              <CopyButton text={t.image_digest} label="Copy" />
            </>,
          ],
          [
            'Deployment',
            t.deployment_id ? (
              <Link to={links.deployment(run)}>
                <code>{t.deployment_id}</code>
              </Link>
            ) : (
              'none (not the live image)'
            ),
          ],
        ]}
      />
    </InfoCard>
  );
}

function Settings({ run }: { run: Run }) {
  const options = valueRows(runOptions(run));
  return (
    <InfoCard title="Options and limits">
      <Facts
        rows={[
          ['Time limit', formatDuration(run.limits.time_limit_s)],
          ['Memory', `${run.limits.memory_mb} MB`],
          ['CPUs', String(run.limits.cpus)],
          ['Priority', String(run.priority)],
          [
            'Input',
            <a href={`${runPath(run.id)}/input`} download={`${run.id}-input.json`}>
              {formatBytes(run.input.size)}
            </a>,
          ],
          ...options,
        ]}
      />
    </InfoCard>
  );
}

function Statistics({ run }: { run: Run }) {
  const rows = valueRows(runStatistics(run));
  return (
    <InfoCard title="Statistics">
      {rows.length ? (
        <Facts rows={rows} />
      ) : (
        <span className="text-secondary">
          {isRunActive(run.status) ? 'Reported when the run ends.' : 'The model reported none.'}
        </span>
      )}
    </InfoCard>
  );
}

/** One run: status, times, trace, options, statistics, live log and result; cancel. */
export function RunDetail({ id, links }: { id: string; links: RunLinks }) {
  const query = useRun(id);
  if (query.isLoading) return <Loading label="Loading the run…" />;
  if (query.isError) {
    if (query.error instanceof ApiError && query.error.status === 404)
      return <NotFound what="run" />;
    return <ErrorState error={query.error} onRetry={() => void query.refetch()} />;
  }
  const run = query.data;
  if (!run) return null;
  return (
    <div className="run-detail" data-run-id={run.id}>
      <div className="d-flex align-items-center gap-3 mb-3 flex-wrap">
        <h2 className="h5 mb-0">
          Run <code>{run.id}</code>
        </h2>
        <RunStatusBadge run={run} />
        {isRunActive(run.status) ? <CancelRunButton run={run} /> : null}
      </div>
      {run.reason ? (
        <Alert
          variant={REASON_VARIANT[run.status] ?? 'info'}
          className="py-2"
          data-testid="run-reason"
        >
          {run.reason}
        </Alert>
      ) : null}
      <Row className="g-3 mb-4">
        <Col md={6} xl={3}>
          <Times run={run} />
        </Col>
        <Col md={6} xl={4}>
          <Trace run={run} links={links} />
        </Col>
        <Col md={6} xl={3}>
          <Settings run={run} />
        </Col>
        <Col md={6} xl={2}>
          <Statistics run={run} />
        </Col>
      </Row>
      <RunLog key={run.id} run={run} />
      <RunResult run={run} />
    </div>
  );
}
