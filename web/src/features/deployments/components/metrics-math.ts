import type { DeploymentMetrics } from '@/types/api';

export interface MetricsPoint {
  /** Seconds since the epoch of the poll. */
  t: number;
  /** Requests per second since the previous poll. */
  rps: number;
  /** 4xx + 5xx per second. */
  errorsPerSecond: number;
  /** Mean latency of the requests since the previous poll, ms (null: none). */
  meanMs: number | null;
  /** 95th-percentile bucket bound of those requests, ms (null: none). */
  p95Ms: number | null;
}

export interface MetricsSample {
  t: number;
  metrics: DeploymentMetrics;
}

function total(m: DeploymentMetrics): number {
  return Object.values(m.requests).reduce((a, b) => a + b, 0);
}

function errors(m: DeploymentMetrics): number {
  return m.requests['4xx'] + m.requests['5xx'];
}

function bucketCount(m: DeploymentMetrics, le: number | '+Inf'): number {
  return m.latency.buckets.find((b) => b.le === le)?.count ?? 0;
}

/** Rates between two polls of cumulative counters (null when they reset). */
export function ratesBetween(prev: MetricsSample, cur: MetricsSample): MetricsPoint | null {
  const dt = cur.t - prev.t;
  const dn = total(cur.metrics) - total(prev.metrics);
  if (dt <= 0 || dn < 0) return null; // a restart reset the counters
  const dCount = cur.metrics.latency.count - prev.metrics.latency.count;
  const dSum = cur.metrics.latency.sum_seconds - prev.metrics.latency.sum_seconds;
  let p95: number | null = null;
  if (dCount > 0) {
    // Buckets are cumulative; the first whose delta reaches 95 % bounds p95.
    for (const b of cur.metrics.latency.buckets) {
      const d = b.count - bucketCount(prev.metrics, b.le);
      if (d >= 0.95 * dCount) {
        p95 = b.le === '+Inf' ? null : b.le * 1000;
        break;
      }
    }
  }
  return {
    t: cur.t,
    rps: dn / dt,
    errorsPerSecond: Math.max(0, errors(cur.metrics) - errors(prev.metrics)) / dt,
    meanMs: dCount > 0 ? (dSum / dCount) * 1000 : null,
    p95Ms: p95,
  };
}
