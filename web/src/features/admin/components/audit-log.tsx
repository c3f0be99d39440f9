import Table from 'react-bootstrap/Table';
import { EmptyState, ErrorState, Loading } from '@/components/ui/states';
import { formatTime } from '@/lib/format';
import type { AuditEvent } from '@/types/api';
import { useAudit } from '../api/get-audit';

/** Who acted: the username, the id of a user since deleted, or nobody (a failed login). */
export function actorName(event: Pick<AuditEvent, 'actor' | 'actor_id'>): string {
  return event.actor ?? event.actor_id ?? '—';
}

export function AuditLog() {
  const audit = useAudit();
  if (audit.isLoading) return <Loading label="Loading the audit log…" />;
  if (audit.isError) return <ErrorState error={audit.error} />;
  if (!audit.data?.length) return <EmptyState title="No audit events" />;
  return (
    <Table size="sm" className="small" aria-label="Audit log">
      <thead>
        <tr>
          <th scope="col">When</th>
          <th scope="col">Action</th>
          <th scope="col">Target</th>
          <th scope="col">Actor</th>
          <th scope="col">IP</th>
          <th scope="col">Detail</th>
        </tr>
      </thead>
      <tbody>
        {audit.data.map((e) => (
          <tr key={e.id}>
            <td className="text-nowrap">{formatTime(e.at)}</td>
            <td>
              <code>{e.action}</code>
            </td>
            <td>{e.target}</td>
            <td title={e.actor_id ?? undefined}>{actorName(e)}</td>
            <td>{e.ip}</td>
            <td className="text-break">{e.detail}</td>
          </tr>
        ))}
      </tbody>
    </Table>
  );
}
