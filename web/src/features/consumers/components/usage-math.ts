// Pure helpers of the Usage tab: periods as dates, rows summed per key.
import type { UsageRow } from '@/types/api';

export type PeriodChoice = 'this-month' | 'last-month' | 'last-30-days';

export const PERIOD_CHOICES: { value: PeriodChoice; label: string }[] = [
  { value: 'this-month', label: 'This month' },
  { value: 'last-month', label: 'Last month' },
  { value: 'last-30-days', label: 'Last 30 days' },
];

const DAY_MS = 86_400_000;

/** `YYYY-MM-DD` of a UTC instant. */
export function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/**
 * The period as RFC 3339 dates in UTC (the server counts months in UTC);
 * `to` is exclusive: the day after the last one shown.
 */
export function periodRange(choice: PeriodChoice, now: Date): { from: string; to: string } {
  const year = now.getUTCFullYear();
  const month = now.getUTCMonth();
  const today = Date.UTC(year, month, now.getUTCDate());
  switch (choice) {
    case 'this-month':
      return { from: isoDay(Date.UTC(year, month, 1)), to: isoDay(Date.UTC(year, month + 1, 1)) };
    case 'last-month':
      return { from: isoDay(Date.UTC(year, month - 1, 1)), to: isoDay(Date.UTC(year, month, 1)) };
    case 'last-30-days':
      return { from: isoDay(today - 29 * DAY_MS), to: isoDay(today + DAY_MS) };
  }
}

/** Every day from `from` up to (not including) `to`, as `YYYY-MM-DD`. */
export function daysBetween(from: string, to: string): string[] {
  const start = Date.parse(`${from.slice(0, 10)}T00:00:00Z`);
  const end = Date.parse(`${to.slice(0, 10)}T00:00:00Z`);
  const days: string[] = [];
  // 400 days is the most the server answers for; the cap keeps a bad date cheap.
  for (let t = start; t < end && days.length < 400; t += DAY_MS) days.push(isoDay(t));
  return days;
}

export interface UsageTotals {
  requests: number;
  by2xx: number;
  by4xx: number;
  by5xx: number;
  refused: number;
  bytesIn: number;
  bytesOut: number;
  runs: number;
  runSeconds: number;
  /** CPU time of those runs as the container engine counted it. */
  runCpuSeconds: number;
}

export function emptyTotals(): UsageTotals {
  return {
    requests: 0,
    by2xx: 0,
    by4xx: 0,
    by5xx: 0,
    refused: 0,
    bytesIn: 0,
    bytesOut: 0,
    runs: 0,
    runSeconds: 0,
    runCpuSeconds: 0,
  };
}

function add(totals: UsageTotals, row: UsageRow): void {
  totals.requests += row.requests;
  totals.by2xx += row.requests_by_class['2xx'];
  totals.by4xx += row.requests_by_class['4xx'];
  totals.by5xx += row.requests_by_class['5xx'];
  totals.refused += row.refused;
  totals.bytesIn += row.bytes_in;
  totals.bytesOut += row.bytes_out;
  totals.runs += row.runs;
  totals.runSeconds += row.run_seconds;
  totals.runCpuSeconds += row.run_cpu_seconds;
}

/** One key's use over the period; `keyId` null for calls without a key. */
export interface KeyUsage {
  keyId: string | null;
  keyName: string | null;
  totals: UsageTotals;
  /** Requests per day (`YYYY-MM-DD`). */
  requestsByDay: Map<string, number>;
}

/** The rows (per key and day) summed per key: keys in first-seen order, no key last. */
export function usageByKey(rows: UsageRow[]): KeyUsage[] {
  const byKey = new Map<string | null, KeyUsage>();
  for (const row of rows) {
    const keyId = row.key_id ?? null;
    let usage = byKey.get(keyId);
    if (!usage) {
      usage = {
        keyId,
        keyName: row.key_name ?? null,
        totals: emptyTotals(),
        requestsByDay: new Map(),
      };
      byKey.set(keyId, usage);
    }
    add(usage.totals, row);
    if (row.day)
      usage.requestsByDay.set(row.day, (usage.requestsByDay.get(row.day) ?? 0) + row.requests);
  }
  const keyed = [...byKey.values()].filter((u) => u.keyId !== null);
  const keyless = byKey.get(null);
  return keyless ? [...keyed, keyless] : keyed;
}

/** The sum of every key's totals. */
export function grandTotals(usages: KeyUsage[]): UsageTotals {
  const totals = emptyTotals();
  for (const { totals: t } of usages) {
    for (const field of Object.keys(totals) as (keyof UsageTotals)[]) totals[field] += t[field];
  }
  return totals;
}
