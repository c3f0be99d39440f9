import Table from 'react-bootstrap/Table';
import { formatBytes, formatDuration } from '@/lib/format';
import type { ConsumerKey } from '@/types/api';
import { grandTotals, type KeyUsage, type UsageTotals } from './usage-math';

/** How rows without a key are named: the owner's own calls and signed-in users'. */
export const WITHOUT_KEY = 'Without a key (you and signed-in users)';

export function keyLabel(usage: KeyUsage): string {
  if (usage.keyId === null) return WITHOUT_KEY;
  return usage.keyName ?? usage.keyId;
}

const count = (n: number) => n.toLocaleString('en');

/** This month's use of the key against its quotas, from the keys list. */
function quotaText(key: ConsumerKey | undefined): string {
  if (!key) return '—';
  const parts: string[] = [];
  if (key.monthly_quota_requests !== null)
    parts.push(`${count(key.month.requests)} of ${count(key.monthly_quota_requests)} requests`);
  if (key.monthly_quota_run_seconds !== null)
    parts.push(
      `${count(Math.round(key.month.run_seconds))} of ${count(key.monthly_quota_run_seconds)} run s`,
    );
  return parts.length > 0 ? parts.join(', ') : 'no quota';
}

function Cells({ totals }: { totals: UsageTotals }) {
  return (
    <>
      <td className="text-end">{totals.requests}</td>
      <td className="text-end">{totals.by2xx}</td>
      <td className="text-end">{totals.by4xx}</td>
      <td className="text-end">{totals.by5xx}</td>
      <td className="text-end">{totals.refused}</td>
      <td className="text-end text-nowrap">{formatBytes(totals.bytesIn)}</td>
      <td className="text-end text-nowrap">{formatBytes(totals.bytesOut)}</td>
      <td className="text-end">{totals.runs}</td>
      <td className="text-end text-nowrap">
        {totals.runSeconds > 0 ? formatDuration(totals.runSeconds) : '0'}
      </td>
      <td className="text-end text-nowrap">
        {totals.runCpuSeconds > 0 ? formatDuration(totals.runCpuSeconds) : '0'}
      </td>
    </>
  );
}

/** One row per key over the period, and their total. */
export function UsageTable({ usages, keys }: { usages: KeyUsage[]; keys: ConsumerKey[] }) {
  const byId = new Map(keys.map((k) => [k.id, k]));
  return (
    <Table size="sm" hover responsive className="align-middle" aria-label="Usage per key">
      <thead>
        <tr>
          <th scope="col">Key</th>
          <th scope="col" className="text-end">
            Requests
          </th>
          <th scope="col" className="text-end">
            2xx
          </th>
          <th scope="col" className="text-end">
            4xx
          </th>
          <th scope="col" className="text-end">
            5xx
          </th>
          <th scope="col" className="text-end">
            Refused
          </th>
          <th scope="col" className="text-end">
            Bytes in
          </th>
          <th scope="col" className="text-end">
            Bytes out
          </th>
          <th scope="col" className="text-end">
            Runs
          </th>
          <th scope="col" className="text-end">
            Run time
          </th>
          <th scope="col" className="text-end">
            CPU time
          </th>
          <th scope="col">Quota used this month</th>
        </tr>
      </thead>
      <tbody>
        {usages.map((usage) => (
          <tr key={usage.keyId ?? 'none'} data-key-id={usage.keyId ?? 'none'}>
            <th scope="row" className="fw-normal">
              {keyLabel(usage)}
            </th>
            <Cells totals={usage.totals} />
            <td className="small">
              {usage.keyId === null ? '—' : quotaText(byId.get(usage.keyId))}
            </td>
          </tr>
        ))}
      </tbody>
      <tfoot>
        <tr className="fw-semibold" data-key-id="total">
          <th scope="row">Total</th>
          <Cells totals={grandTotals(usages)} />
          <td />
        </tr>
      </tfoot>
    </Table>
  );
}
