import { useState } from 'react';
import Form from 'react-bootstrap/Form';
import Table from 'react-bootstrap/Table';
import { Link } from 'react-router';
import { LoadMore } from '@/components/ui/load-more';
import { EmptyState, ErrorState, Loading } from '@/components/ui/states';
import {
  formatAge,
  formatDuration,
  formatTime,
  secondsBetween,
  shortDigest,
  shortSha,
} from '@/lib/format';
import type { Run, RunStatus } from '@/types/api';
import { useRuns, type RunsScope } from '../api/get-runs';
import { RUN_STATUSES, runObjective, runStatusWords } from '../api/run-status';
import type { RunLinks } from './run-links';
import { RunStatusBadge } from './run-status-badge';

/** The wall-clock time of a run: its duration once ended, the time so far while it runs. */
export function runDuration(run: Run): number | null {
  if (run.duration_s !== null) return run.duration_s;
  if (!run.started_at) return null;
  return secondsBetween(run.started_at, run.finished_at);
}

function RunRow({ run, links, showProject }: { run: Run; links: RunLinks; showProject: boolean }) {
  const objective = runObjective(run);
  return (
    <tr data-run-id={run.id}>
      <td>
        <Link to={links.run(run)}>
          <code>{run.id}</code>
        </Link>
      </td>
      <td>
        <RunStatusBadge run={run} />
      </td>
      {showProject ? (
        <td>
          <Link to={links.project(run)}>{run.project}</Link>
        </td>
      ) : null}
      <td className="text-end">{objective === null ? '—' : objective.toLocaleString()}</td>
      <td className="small">{formatDuration(runDuration(run))}</td>
      <td className="small">{run.submitter}</td>
      <td className="small">
        <Link to={links.commit(run)} title={`Commit ${run.trace.commit}`}>
          <code>{shortSha(run.trace.commit)}</code>
        </Link>
        <span className="text-secondary">
          {' · '}
          <Link to={links.build(run)} className="link-secondary">
            build
          </Link>
          {' · '}
          <Link to={links.images(run)} className="link-secondary" title={run.trace.image_digest}>
            image {shortDigest(run.trace.image_digest).slice(0, 7)}
          </Link>
        </span>
      </td>
      <td className="small" title={formatTime(run.created_at)}>
        {formatAge(run.created_at)}
      </td>
    </tr>
  );
}

/**
 * Runs newest first with a status filter; "Load more" fetches the next page.
 * A project's runs, or the caller's own across projects (`showProject`).
 */
export function RunsTable({
  scope,
  links,
  showProject = false,
}: {
  scope: RunsScope;
  links: RunLinks;
  showProject?: boolean;
}) {
  const [status, setStatus] = useState<RunStatus | ''>('');
  const runs = useRuns(scope, status);
  const list = runs.data?.pages.flatMap((p) => p.runs) ?? [];
  let content;
  if (runs.isLoading) content = <Loading label="Loading runs…" />;
  else if (runs.isError)
    content = <ErrorState error={runs.error} onRetry={() => void runs.refetch()} />;
  else if (list.length === 0)
    content = (
      <EmptyState title={status ? `No ${runStatusWords(status)} runs` : 'No runs yet'}>
        {status ? 'Choose another status.' : 'Submit one to see it here.'}
      </EmptyState>
    );
  else
    content = (
      <>
        <Table hover responsive className="align-middle" aria-label="Runs">
          <thead>
            <tr>
              <th scope="col">Run</th>
              <th scope="col">Status</th>
              {showProject ? <th scope="col">Project</th> : null}
              <th scope="col" className="text-end">
                Objective
              </th>
              <th scope="col">Duration</th>
              <th scope="col">Submitter</th>
              <th scope="col">Version</th>
              <th scope="col">Created</th>
            </tr>
          </thead>
          <tbody>
            {list.map((run) => (
              <RunRow key={run.id} run={run} links={links} showProject={showProject} />
            ))}
          </tbody>
        </Table>
        <LoadMore query={runs} />
      </>
    );
  return (
    <div className="runs-table">
      <Form.Group
        controlId={`runs-status-${scope === 'mine' ? 'mine' : 'project'}`}
        className="d-flex align-items-center gap-2 mb-2"
      >
        <Form.Label className="small mb-0">Status</Form.Label>
        <Form.Select
          size="sm"
          className="w-auto"
          value={status}
          onChange={(e) => setStatus(e.target.value as RunStatus | '')}
        >
          <option value="">All</option>
          {RUN_STATUSES.map((s) => (
            <option key={s} value={s}>
              {runStatusWords(s)}
            </option>
          ))}
        </Form.Select>
      </Form.Group>
      {content}
    </div>
  );
}
