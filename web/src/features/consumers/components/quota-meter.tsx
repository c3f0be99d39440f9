import ProgressBar from 'react-bootstrap/ProgressBar';

/** The share of a quota used, in percent, capped at 100. */
export function quotaPercent(used: number, quota: number): number {
  if (quota <= 0) return 100;
  return Math.min(100, (used / quota) * 100);
}

function formatCount(value: number): string {
  return Number.isInteger(value) ? value.toLocaleString('en') : value.toFixed(1);
}

/**
 * "N requests of Q" with a bar when a quota is set; "N requests" (no
 * limit) without one. The bar turns amber past 80 % and red at the quota.
 */
export function QuotaMeter({
  used,
  quota,
  unit,
}: {
  used: number;
  quota: number | null;
  unit: string;
}) {
  if (quota === null)
    return (
      <div className="small">
        {formatCount(used)} {unit} <span className="text-secondary">(no quota)</span>
      </div>
    );
  const percent = quotaPercent(used, quota);
  const variant = percent >= 100 ? 'danger' : percent >= 80 ? 'warning' : 'success';
  const label = `${formatCount(used)} ${unit} of ${formatCount(quota)}`;
  return (
    <div className="small">
      <div>{label}</div>
      {/* A child bar: it carries role="progressbar", so the name goes on it. */}
      <ProgressBar style={{ height: '0.4rem' }}>
        <ProgressBar
          now={percent}
          variant={variant}
          aria-label={`${unit} this month`}
          aria-valuetext={`${Math.round(percent)} % (${label})`}
        />
      </ProgressBar>
    </div>
  );
}
