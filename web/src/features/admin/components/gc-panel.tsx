import { useState } from 'react';
import Button from 'react-bootstrap/Button';
import Card from 'react-bootstrap/Card';
import Table from 'react-bootstrap/Table';
import { ConfirmDeleteModal } from '@/components/ui/confirm-delete-modal';
import { useToast } from '@/components/ui/toasts';
import { formatBytes, shortDigest } from '@/lib/format';
import type { GcReport } from '@/types/api';
import { useRunGc } from '../api/run-gc';

/** What the warm idle tier holds: paused deployments keep their memory. */
function PausedList({ paused }: { paused: GcReport['paused'] }) {
  const known = paused.filter((d) => d.memory_bytes !== null);
  const held = known.reduce((sum, d) => sum + (d.memory_bytes ?? 0), 0);
  return (
    <div data-testid="gc-paused">
      <p className="small mb-1">
        {paused.length} paused deployments hold {formatBytes(held)} of memory
        {known.length < paused.length ? ' (some could not be measured)' : ''}; they are stopped once
        idle past the collector&apos;s limit.
      </p>
      <ul className="small">
        {paused.map((d) => (
          <li key={d.deployment_id}>
            {d.project} ({d.deployment_id}):{' '}
            {d.memory_bytes === null ? 'unknown' : formatBytes(d.memory_bytes)}
          </li>
        ))}
      </ul>
    </div>
  );
}

function Report({ report }: { report: GcReport }) {
  return (
    <div data-testid="gc-report">
      <p className="mb-2">
        <strong>{report.dry_run ? 'Dry run: would remove' : 'Removed'}</strong>{' '}
        {report.images.length} images, {report.blobs.count} blobs ({formatBytes(report.blobs.bytes)}
        ), stopped {report.idle_stopped.length} idle deployments;{' '}
        {report.dry_run ? 'would free' : 'freed'} {formatBytes(report.bytes_freed)}.
      </p>
      {report.errors.length > 0 ? (
        <ul className="small text-danger" aria-label="Collector errors">
          {report.errors.map((e) => (
            <li key={e}>{e}</li>
          ))}
        </ul>
      ) : null}
      {report.images.length > 0 ? (
        <Table size="sm">
          <thead>
            <tr>
              <th scope="col">Image</th>
              <th scope="col">Digest</th>
              <th scope="col">Size</th>
            </tr>
          </thead>
          <tbody>
            {report.images.map((i) => (
              <tr key={i.id}>
                <td>
                  {i.repository}:{i.tag}
                </td>
                <td>
                  <code>{shortDigest(i.digest)}</code>
                </td>
                <td>{formatBytes(i.size)}</td>
              </tr>
            ))}
          </tbody>
        </Table>
      ) : null}
      {report.paused.length > 0 ? <PausedList paused={report.paused} /> : null}
      {report.idle_stopped.length > 0 ? (
        <ul className="small">
          {report.idle_stopped.map((d) => (
            <li key={d.deployment_id}>
              {d.project} ({d.deployment_id})
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

/** The collector: dry run first, then run for real after a confirmation. */
export function GcPanel() {
  const gc = useRunGc();
  const toast = useToast();
  const [confirm, setConfirm] = useState(false);
  const run = (dryRun: boolean) =>
    gc.mutate(dryRun, {
      onSuccess: () => setConfirm(false),
      onError: (e) => toast.notifyError(e, 'The collector failed'),
    });
  return (
    <Card>
      <Card.Header className="fw-semibold">Collector</Card.Header>
      <Card.Body>
        <p className="small text-secondary">
          Removes unused images and unreferenced blobs, and stops idle deployments.
        </p>
        <div className="d-flex gap-2 mb-3">
          <Button variant="outline-primary" disabled={gc.isPending} onClick={() => run(true)}>
            Dry run
          </Button>
          <Button variant="danger" disabled={gc.isPending} onClick={() => setConfirm(true)}>
            Run collector
          </Button>
        </div>
        {gc.data ? <Report report={gc.data} /> : null}
      </Card.Body>
      <ConfirmDeleteModal
        show={confirm}
        title="Run the collector?"
        actionLabel="Run"
        busy={gc.isPending}
        onCancel={() => setConfirm(false)}
        onConfirm={() => run(false)}
      >
        <p className="mb-0">Unused images are deleted for every user. Try a dry run first.</p>
      </ConfirmDeleteModal>
    </Card>
  );
}
