import { describe, expect, it } from 'vitest';
import type { DeploymentMetrics } from '@/types/api';
import { ratesBetween } from './metrics-math';

function metrics(ok: number, errors: number, buckets: number[], sum: number): DeploymentMetrics {
  const les = [0.01, 0.1, 1, '+Inf'] as const;
  return {
    deployment_id: 'dep_1',
    requests: { '1xx': 0, '2xx': ok, '3xx': 0, '4xx': errors, '5xx': 0 },
    bytes_in: 0,
    bytes_out: 0,
    in_flight: 0,
    workers: 2,
    queued: 0,
    latency: {
      buckets: les.map((le, i) => ({ le, count: buckets[i] })),
      sum_seconds: sum,
      count: buckets[3],
    },
    last_request_at: null,
  };
}

describe('ratesBetween', () => {
  it('computes rates, mean latency and the p95 bucket from two polls', () => {
    const a = { t: 100, metrics: metrics(10, 0, [5, 10, 10, 10], 0.2) };
    const b = { t: 110, metrics: metrics(105, 5, [5, 100, 110, 110], 5.2) };
    const p = ratesBetween(a, b);
    expect(p?.rps).toBeCloseTo(10);
    expect(p?.errorsPerSecond).toBeCloseTo(0.5);
    expect(p?.meanMs).toBeCloseTo(50);
    expect(p?.p95Ms).toBe(1000);
  });

  it('skips a poll where the counters went back (restart)', () => {
    const a = { t: 100, metrics: metrics(50, 0, [0, 50, 50, 50], 1) };
    const b = { t: 105, metrics: metrics(3, 0, [0, 3, 3, 3], 0.1) };
    expect(ratesBetween(a, b)).toBeNull();
  });
});
