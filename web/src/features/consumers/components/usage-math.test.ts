import { describe, expect, it } from 'vitest';
import type { UsageRow } from '@/types/api';
import { daysBetween, grandTotals, periodRange, usageByKey } from './usage-math';

function usageRow(over: Partial<UsageRow> = {}): UsageRow {
  return {
    requests: 0,
    requests_by_class: { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 },
    refused: 0,
    bytes_in: 0,
    bytes_out: 0,
    runs: 0,
    run_seconds: 0,
    run_cpu_seconds: 0,
    ...over,
  };
}

describe('periodRange', () => {
  const now = new Date('2026-03-15T23:30:00Z');

  it('gives whole UTC months, the end exclusive', () => {
    expect(periodRange('this-month', now)).toEqual({ from: '2026-03-01', to: '2026-04-01' });
    expect(periodRange('last-month', now)).toEqual({ from: '2026-02-01', to: '2026-03-01' });
  });

  it('crosses the year in January and December', () => {
    const january = new Date('2026-01-10T00:00:00Z');
    expect(periodRange('last-month', january)).toEqual({ from: '2025-12-01', to: '2026-01-01' });
    const december = new Date('2026-12-31T12:00:00Z');
    expect(periodRange('this-month', december)).toEqual({ from: '2026-12-01', to: '2027-01-01' });
  });

  it('gives the last 30 days with today', () => {
    const range = periodRange('last-30-days', now);
    expect(range).toEqual({ from: '2026-02-14', to: '2026-03-16' });
    expect(daysBetween(range.from, range.to)).toHaveLength(30);
  });
});

describe('daysBetween', () => {
  it('lists the days of a period and stops at 400', () => {
    expect(daysBetween('2026-02-27', '2026-03-02')).toEqual([
      '2026-02-27',
      '2026-02-28',
      '2026-03-01',
    ]);
    expect(daysBetween('2000-01-01', '2030-01-01')).toHaveLength(400);
    expect(daysBetween('2026-03-02', '2026-03-01')).toEqual([]);
  });
});

describe('usageByKey', () => {
  it('sums the days of each key and puts calls without a key last', () => {
    const rows = [
      usageRow({ key_id: null, key_name: null, day: '2026-03-01', requests: 4 }),
      usageRow({
        key_id: 'ck_1',
        key_name: 'acme',
        day: '2026-03-01',
        requests: 3,
        requests_by_class: { '1xx': 0, '2xx': 2, '3xx': 0, '4xx': 1, '5xx': 0 },
        bytes_in: 100,
        runs: 1,
        run_seconds: 1.5,
        run_cpu_seconds: 0.75,
      }),
      usageRow({
        key_id: 'ck_1',
        key_name: 'acme',
        day: '2026-03-02',
        requests: 5,
        requests_by_class: { '1xx': 0, '2xx': 4, '3xx': 0, '4xx': 0, '5xx': 1 },
        refused: 2,
        bytes_in: 50,
        runs: 2,
        run_seconds: 2.25,
        run_cpu_seconds: 2,
      }),
    ];
    const usages = usageByKey(rows);
    expect(usages.map((u) => u.keyId)).toEqual(['ck_1', null]);
    expect(usages[0].totals).toEqual({
      requests: 8,
      by2xx: 6,
      by4xx: 1,
      by5xx: 1,
      refused: 2,
      bytesIn: 150,
      bytesOut: 0,
      runs: 3,
      runSeconds: 3.75,
      runCpuSeconds: 2.75,
    });
    expect([...usages[0].requestsByDay]).toEqual([
      ['2026-03-01', 3],
      ['2026-03-02', 5],
    ]);
    expect(grandTotals(usages).requests).toBe(12);
  });
});
