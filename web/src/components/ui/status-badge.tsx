import Badge from 'react-bootstrap/Badge';

type Tone = 'ok' | 'bad' | 'busy' | 'idle';

const TONES: Record<string, Tone> = {
  succeeded: 'ok',
  active: 'ok',
  healthy: 'ok',
  failed: 'bad',
  invalid_input: 'bad',
  timed_out: 'bad',
  crashloop: 'bad',
  revoked: 'bad',
  queued: 'busy',
  running: 'busy',
  pending: 'busy',
  pulling: 'busy',
  starting: 'busy',
  stopped: 'idle',
  paused: 'idle',
  canceled: 'idle',
  none: 'idle',
  expired: 'idle',
};

const STYLE: Record<Tone, { bg: string; text?: string; mark: string }> = {
  ok: { bg: 'success', mark: '✓' },
  bad: { bg: 'danger', mark: '✕' },
  busy: { bg: 'warning', text: 'dark', mark: '●' },
  idle: { bg: 'secondary', mark: '○' },
};

/** A status as a coloured badge that also carries the word (never colour alone). */
export function StatusBadge({ status, label }: { status: string; label?: string }) {
  const style = STYLE[TONES[status] ?? 'idle'];
  return (
    <Badge bg={style.bg} text={style.text} className="status-badge" data-status={status}>
      <span aria-hidden="true">{style.mark} </span>
      {label ?? status}
    </Badge>
  );
}
