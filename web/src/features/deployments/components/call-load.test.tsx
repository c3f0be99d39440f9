import { screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { renderWithProviders } from '@/testing/render';
import { CallLoad } from './call-load';

describe('CallLoad', () => {
  it('shows calls served by the workers and none waiting', () => {
    renderWithProviders(
      <CallLoad load={{ in_flight: 1, workers: 2, queued: 0 }} runsPath="/projects/a/k/runs" />,
    );
    expect(screen.getByTestId('call-load')).toHaveTextContent(
      'Calls now: 1 served by 2 workers, 0 waiting.',
    );
    expect(screen.queryByRole('status')).toBeNull();
  });

  it('points waiting callers to runs when every worker is busy', () => {
    renderWithProviders(
      <CallLoad load={{ in_flight: 5, workers: 2, queued: 3 }} runsPath="/projects/a/k/runs" />,
    );
    expect(screen.getByTestId('call-load')).toHaveTextContent('2 served by 2 workers, 3 waiting');
    const warning = screen.getByRole('status');
    expect(warning).toHaveTextContent('3 calls are waiting for a free worker');
    expect(screen.getByRole('link', { name: 'runs' })).toHaveAttribute(
      'href',
      '/projects/a/k/runs',
    );
  });
});
