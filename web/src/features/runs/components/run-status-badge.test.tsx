import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { RunStatus } from '@/types/api';
import { isRunActive, runObjective, RUN_STATUSES, runStatusLabel } from '../api/run-status';
import { RunStatusBadge } from './run-status-badge';

const run = (
  status: RunStatus,
  queue_position: number | null = null,
  cancel_requested = false,
) => ({
  status,
  queue_position,
  cancel_requested,
});

describe('run status', () => {
  it('labels each status in words, a queued run with its place in line', () => {
    expect(runStatusLabel(run('queued', 3))).toBe('queued · #3 in line');
    expect(runStatusLabel(run('queued'))).toBe('queued');
    expect(runStatusLabel(run('running', null, true))).toBe('running · canceling');
    expect(runStatusLabel(run('invalid_input'))).toBe('invalid input');
    expect(runStatusLabel(run('timed_out'))).toBe('timed out');
    expect(RUN_STATUSES.filter(isRunActive)).toEqual(['queued', 'running']);
  });

  it.each([
    ['queued', 'warning'],
    ['running', 'warning'],
    ['succeeded', 'success'],
    ['failed', 'danger'],
    ['invalid_input', 'danger'],
    ['timed_out', 'danger'],
    ['canceled', 'secondary'],
  ] as const)('shows %s as a %s badge carrying the word', (status, bg) => {
    render(<RunStatusBadge run={run(status, status === 'queued' ? 1 : null)} />);
    const badge = document.querySelector(`[data-status="${status}"]`);
    expect(badge).toHaveClass(`bg-${bg}`);
    expect(badge).toHaveTextContent(status === 'queued' ? '#1 in line' : status.replace('_', ' '));
  });

  it('reads the objective only when the model reported a number', () => {
    expect(runObjective({ statistics: { objective: 15 } as never })).toBe(15);
    expect(runObjective({ statistics: { objective: 'x' } as never })).toBeNull();
    expect(runObjective({ statistics: {} })).toBeNull();
    render(<RunStatusBadge run={run('succeeded')} />);
    expect(screen.getByText('succeeded')).toBeInTheDocument();
  });
});
