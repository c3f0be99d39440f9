import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { json, mockFetch } from '@/testing/fetch-mock';
import { run } from '@/testing/fixtures';
import { renderWithProviders } from '@/testing/render';
import { RunsTable } from './runs-table';
import { testLinks } from './test-links';

const ended = run({
  id: 'run_2',
  status: 'succeeded',
  queue_position: null,
  started_at: '2026-01-01T00:00:01Z',
  finished_at: '2026-01-01T00:01:06Z',
  duration_s: 65,
  submitter: 'bob',
  statistics: { objective: 1234.5, status: 'Optimal' } as never,
});

describe('RunsTable', () => {
  it('lists runs newest first with status, objective, duration, submitter and commit', async () => {
    mockFetch({
      'GET /api/v1/projects/alice/knap/runs': () =>
        json({ runs: [run({ queue_position: 2 }), ended], next_cursor: null }),
    });
    renderWithProviders(<RunsTable scope={{ owner: 'alice', name: 'knap' }} links={testLinks} />);
    const table = await screen.findByRole('table', { name: 'Runs' });
    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows[0]).toHaveTextContent('run_1');
    expect(rows[0]).toHaveTextContent('queued · #2 in line');
    expect(rows[1]).toHaveTextContent('succeeded');
    expect(rows[1]).toHaveTextContent('1,234.5');
    expect(rows[1]).toHaveTextContent('1 min 5 s');
    expect(rows[1]).toHaveTextContent('bob');
    expect(within(rows[1]).getByRole('link', { name: 'abcdef1' })).toHaveAttribute(
      'href',
      '/c/abcdef1234567890',
    );
    expect(within(rows[1]).getByRole('link', { name: 'run_2' })).toHaveAttribute(
      'href',
      '/r/run_2',
    );
    expect(within(rows[1]).getByRole('link', { name: 'build' })).toHaveAttribute(
      'href',
      '/b/bld_1',
    );
    expect(within(rows[1]).getByRole('link', { name: 'image bbbbbbb' })).toHaveAttribute(
      'href',
      '/i/alice/knap',
    );
    expect(screen.queryByRole('button', { name: 'Load more' })).toBeNull();
  });

  it('loads the next page with the cursor and filters by status', async () => {
    const { calls } = mockFetch({
      'GET /api/v1/runs': (c) => {
        const q = new URL(c.url, 'http://x').searchParams;
        if (q.get('status') === 'canceled')
          return json({ runs: [run({ id: 'run_9', status: 'canceled' })], next_cursor: null });
        if (q.get('cursor') === 'c2') return json({ runs: [ended], next_cursor: null });
        return json({ runs: [run()], next_cursor: 'c2' });
      },
    });
    renderWithProviders(<RunsTable scope="mine" links={testLinks} showProject />);
    await screen.findByRole('link', { name: 'run_1' });
    expect(screen.getByRole('link', { name: 'alice/knap' })).toHaveAttribute(
      'href',
      '/p/alice/knap',
    );
    const user = userEvent.setup();
    await user.click(screen.getByRole('button', { name: 'Load more' }));
    await screen.findByRole('link', { name: 'run_2' });
    expect(screen.getByRole('link', { name: 'run_1' })).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Load more' })).toBeNull();
    expect(calls.map((c) => c.url)).toContain('/api/v1/runs?limit=25&cursor=c2');

    await user.selectOptions(screen.getByLabelText('Status'), 'canceled');
    await screen.findByRole('link', { name: 'run_9' });
    expect(screen.queryByRole('link', { name: 'run_1' })).toBeNull();
    expect(calls.at(-1)?.url).toBe('/api/v1/runs?limit=25&status=canceled');
  });

  it('says when there are no runs of a status', async () => {
    mockFetch({ 'GET /api/v1/runs': () => json({ runs: [], next_cursor: null }) });
    renderWithProviders(<RunsTable scope="mine" links={testLinks} />);
    await screen.findByText('No runs yet');
    await userEvent.setup().selectOptions(screen.getByLabelText('Status'), 'timed_out');
    await screen.findByText('No timed out runs');
  });
});
