import Card from 'react-bootstrap/Card';
import ProgressBar from 'react-bootstrap/ProgressBar';
import { formatBytes } from '@/lib/format';
import { useMe } from '../api/get-me';

function UsageRow({ label, used, quota }: { label: string; used: number; quota: number | null }) {
  const percent = quota ? Math.min(100, Math.round((used / quota) * 100)) : 0;
  return (
    <div className="mb-2">
      <div className="small d-flex justify-content-between">
        <span>{label}</span>
        <span data-testid={`usage-${label}`}>
          {formatBytes(used)} {quota ? `of ${formatBytes(quota)}` : '(no quota)'}
        </span>
      </div>
      {quota ? (
        <ProgressBar
          now={percent}
          variant={percent >= 90 ? 'danger' : 'primary'}
          style={{ height: 6 }}
          aria-label={`${label}: ${percent}% of the quota`}
        />
      ) : null}
    </div>
  );
}

/** The signed-in user's storage against their quotas (registry images, project repositories). */
export function StorageUsageCard() {
  const me = useMe();
  const usage = me.data?.usage;
  if (!usage) return null;
  return (
    <Card className="mb-3">
      <Card.Body>
        <Card.Title as="h2" className="fs-5">
          Storage
        </Card.Title>
        <UsageRow
          label="Images"
          used={usage.registry_bytes ?? 0}
          quota={usage.registry_quota_bytes ?? null}
        />
        <UsageRow
          label="Repositories"
          used={usage.repository_bytes ?? 0}
          quota={usage.repository_quota_bytes ?? null}
        />
        <UsageRow
          label="Runs"
          used={usage.run_data_bytes ?? 0}
          quota={usage.run_data_quota_bytes ?? null}
        />
        <p className="small text-secondary mb-0">
          Repositories count their whole history; runs, their inputs, results and logs. Deleting a
          project frees its space.
        </p>
      </Card.Body>
    </Card>
  );
}
