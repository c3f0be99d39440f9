import Button from 'react-bootstrap/Button';
import Table from 'react-bootstrap/Table';
import { StatusBadge } from '@/components/ui/status-badge';
import { formatAge, formatTime } from '@/lib/format';
import type { ConsumerKey } from '@/types/api';
import { QuotaMeter } from './quota-meter';

function limitText(key: ConsumerKey): string {
  return key.rate_limit_per_min === null ? 'no rate limit' : `${key.rate_limit_per_min} / min`;
}

/** The keys with their limits and this month's use; active keys can be revoked. */
export function KeysTable({
  keys,
  onRevoke,
}: {
  keys: ConsumerKey[];
  onRevoke: (key: ConsumerKey) => void;
}) {
  return (
    <Table hover responsive className="align-middle" aria-label="Consumer keys">
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">Key</th>
          <th scope="col">Status</th>
          <th scope="col">Rate limit</th>
          <th scope="col">This month</th>
          <th scope="col">Created</th>
          <th scope="col">Expires</th>
          <th scope="col">
            <span className="visually-hidden">Actions</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {keys.map((key) => (
          <tr key={key.id} data-key-id={key.id}>
            <td>{key.name}</td>
            <td>
              <code>{key.prefix}…</code>
            </td>
            <td>
              <StatusBadge status={key.status} />
            </td>
            <td className="small text-nowrap">{limitText(key)}</td>
            <td style={{ minWidth: '12rem' }}>
              <QuotaMeter
                used={key.month.requests}
                quota={key.monthly_quota_requests}
                unit="requests"
              />
              <QuotaMeter
                used={key.month.run_seconds}
                quota={key.monthly_quota_run_seconds}
                unit="run seconds"
              />
            </td>
            <td className="small text-nowrap" title={formatTime(key.created_at)}>
              {formatAge(key.created_at)}
            </td>
            <td className="small text-nowrap">
              {key.expires_at ? formatTime(key.expires_at) : 'never'}
            </td>
            <td className="text-end">
              {key.status === 'active' ? (
                <Button size="sm" variant="outline-danger" onClick={() => onRevoke(key)}>
                  Revoke<span className="visually-hidden"> {key.name}</span>
                </Button>
              ) : null}
            </td>
          </tr>
        ))}
      </tbody>
    </Table>
  );
}
