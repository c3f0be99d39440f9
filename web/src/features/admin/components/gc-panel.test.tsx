import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { json, mockFetch } from '@/testing/fetch-mock';
import { renderWithProviders } from '@/testing/render';
import type { GcReport } from '@/types/api';
import { GcPanel } from './gc-panel';

const report: GcReport = {
  dry_run: true,
  images: [],
  blobs: { count: 0, bytes: 0 },
  idle_stopped: [],
  paused: [
    { deployment_id: 'dep_a', project: 'alice/knap', memory_bytes: 48 * 1024 * 1024 },
    { deployment_id: 'dep_b', project: 'bob/tsp', memory_bytes: null },
  ],
  bytes_freed: 0,
  errors: [],
};

describe('GcPanel', () => {
  it('shows what the paused deployments hold, and which could not be measured', async () => {
    mockFetch({ 'POST /api/v1/admin/gc': () => json(report) });
    renderWithProviders(<GcPanel />);
    await userEvent.setup().click(screen.getByRole('button', { name: 'Dry run' }));
    const paused = await screen.findByTestId('gc-paused');
    expect(paused).toHaveTextContent(
      '2 paused deployments hold 48.0 MiB of memory (some could not be measured)',
    );
    expect(within(paused).getByText(/alice\/knap \(dep_a\)/)).toHaveTextContent('48.0 MiB');
    expect(within(paused).getByText(/bob\/tsp \(dep_b\)/)).toHaveTextContent('unknown');
  });
});
