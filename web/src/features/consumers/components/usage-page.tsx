import { useMemo, useState } from 'react';
import Card from 'react-bootstrap/Card';
import Form from 'react-bootstrap/Form';
import { EmptyState, ErrorState, Loading } from '@/components/ui/states';
import { useConsumerKeys } from '../api/get-keys';
import { usageUrl, useUsage } from '../api/get-usage';
import { UsageChart } from './usage-chart';
import {
  daysBetween,
  PERIOD_CHOICES,
  periodRange,
  usageByKey,
  type PeriodChoice,
} from './usage-math';
import { keyLabel, UsageTable } from './usage-table';

/**
 * A project's metered use over a period: requests per day of each key as a
 * chart, a table of totals per key with the quotas used, the CSV file.
 */
export function UsagePage({
  owner,
  name,
  now = new Date(),
}: {
  owner: string;
  name: string;
  /** Today, for the periods (tests fix it). */
  now?: Date;
}) {
  const [choice, setChoice] = useState<PeriodChoice>('this-month');
  const today = now.toISOString().slice(0, 10);
  // Recomputed when the day changes, not on every render (the query key holds it).
  const period = useMemo(
    () => periodRange(choice, new Date(`${today}T00:00:00Z`)),
    [choice, today],
  );
  const usage = useUsage(owner, name, period);
  const keys = useConsumerKeys(owner, name);
  const usages = useMemo(() => usageByKey(usage.data?.rows ?? []), [usage.data]);
  const days = useMemo(() => daysBetween(period.from, period.to), [period]);
  return (
    <>
      <div className="d-flex flex-wrap gap-3 align-items-end mb-3">
        <Form.Group controlId="usage-period">
          <Form.Label>Period</Form.Label>
          <Form.Select value={choice} onChange={(e) => setChoice(e.target.value as PeriodChoice)}>
            {PERIOD_CHOICES.map((c) => (
              <option key={c.value} value={c.value}>
                {c.label}
              </option>
            ))}
          </Form.Select>
        </Form.Group>
        <span className="small text-secondary pb-2" data-testid="usage-range">
          {period.from} to {days[days.length - 1] ?? period.to} (UTC)
        </span>
        <a
          className="btn btn-outline-secondary btn-sm ms-auto"
          href={usageUrl(owner, name, period, 'csv')}
          download={`usage-${owner}-${name}-${period.from}.csv`}
        >
          Download CSV
        </a>
      </div>
      {usage.isLoading ? <Loading label="Loading usage…" /> : null}
      {usage.isError ? (
        <ErrorState error={usage.error} onRetry={() => void usage.refetch()} />
      ) : null}
      {usage.data && usages.length === 0 ? (
        <EmptyState title="No use in this period">
          Calls to the service and runs are counted here as they happen.
        </EmptyState>
      ) : null}
      {usages.length > 0 ? (
        <>
          <UsageTable usages={usages} keys={keys.data ?? []} />
          <h2 className="h6 mt-4">Requests per day</h2>
          {usages.map((u) => (
            <Card key={u.keyId ?? 'none'} className="mb-2">
              <Card.Header className="py-1 small fw-semibold">{keyLabel(u)}</Card.Header>
              <Card.Body className="p-2">
                <UsageChart title={keyLabel(u)} days={days} requestsByDay={u.requestsByDay} />
              </Card.Body>
            </Card>
          ))}
        </>
      ) : null}
    </>
  );
}
