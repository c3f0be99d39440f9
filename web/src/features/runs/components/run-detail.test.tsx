import { act, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeEventSource } from '@/testing/fake-event-source';
import { json, mockFetch, text } from '@/testing/fetch-mock';
import { run } from '@/testing/fixtures';
import { renderWithProviders } from '@/testing/render';
import { MAX_LOG_LINES } from './log-buffer';
import { RunDetail } from './run-detail';
import { testLinks } from './test-links';

const running = run({
  status: 'running',
  queue_position: null,
  started_at: '2026-01-01T00:00:01Z',
});
const succeeded = run({
  ...running,
  status: 'succeeded',
  finished_at: '2026-01-01T00:00:11Z',
  duration_s: 10,
  exit_code: 0,
  result: { digest: 'sha256:' + 'd'.repeat(64), size: 60 },
  statistics: { objective: 15, status: 'Optimal' } as never,
  options: { seed: 7 } as never,
});

describe('RunDetail', () => {
  beforeEach(() => {
    FakeEventSource.instances = [];
    vi.stubGlobal('EventSource', FakeEventSource);
  });

  it('shows a queued run with its place in line and its trace, and fetches no log', async () => {
    const { calls } = mockFetch({
      'GET /api/v1/runs/run_1': () => json(run({ queue_position: 3 })),
    });
    renderWithProviders(<RunDetail id="run_1" links={testLinks} />);
    expect(await screen.findByText('queued · #3 in line')).toBeInTheDocument();
    expect(screen.getByText('The log starts when the run leaves the queue.')).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'abcdef1' })).toHaveAttribute(
      'href',
      '/c/abcdef1234567890',
    );
    expect(screen.getByRole('link', { name: 'bld_1' })).toHaveAttribute('href', '/b/bld_1');
    expect(screen.getByRole('link', { name: 'bbbbbbbbbbbb' })).toHaveAttribute(
      'href',
      '/i/alice/knap',
    );
    expect(screen.getByRole('link', { name: 'dep_1' })).toHaveAttribute('href', '/d/dep_1');
    expect(screen.getByText('1 min 0 s')).toBeInTheDocument();
    expect(FakeEventSource.instances).toHaveLength(0);
    expect(calls.every((c) => !c.url.includes('/log'))).toBe(true);
  });

  it('cancels after confirming', async () => {
    document.cookie = 'orsa_csrf=c1; path=/';
    const { calls } = mockFetch({
      'GET /api/v1/runs/run_1': () => json(run()),
      'POST /api/v1/runs/run_1/cancel': () =>
        json(run({ status: 'canceled', queue_position: null, reason: 'canceled by alice' }), 202),
    });
    renderWithProviders(<RunDetail id="run_1" links={testLinks} />);
    const user = userEvent.setup();
    await user.click(await screen.findByRole('button', { name: 'Cancel run' }));
    const dialog = screen.getByRole('dialog');
    expect(dialog).toHaveTextContent('It leaves the queue at once');
    await user.click(within(dialog).getByRole('button', { name: 'Cancel run' }));
    expect(await screen.findByTestId('run-reason')).toHaveTextContent('canceled by alice');
    expect(document.querySelector('[data-status="canceled"]')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Cancel run' })).toBeNull();
    expect(calls.filter((c) => c.method === 'POST')).toHaveLength(1);
  });

  it('follows the log while running, then shows the ended run and its result', async () => {
    mockFetch({
      'GET /api/v1/runs/run_1': () => json(running),
      'GET /api/v1/runs/run_1/result': () =>
        json({ status: 'Optimal', objective: 15, chosen: ['a', 'c'] }),
    });
    renderWithProviders(<RunDetail id="run_1" links={testLinks} />);
    await screen.findByRole('button', { name: 'Cancel run' });
    const [source] = FakeEventSource.instances;
    expect(source.url).toBe('/api/v1/runs/run_1/log');
    act(() => {
      source.onopen?.();
      source.emit('Welcome to the CBC MILP Solver');
      source.emit('Cbc0012I Integer solution of -15');
    });
    const log = screen.getByLabelText('Solver log');
    await vi.waitFor(() => expect(within(log).getAllByText(/./)).toHaveLength(2));
    expect(log).toHaveTextContent('Integer solution of -15');
    act(() => source.emitNamed('end', JSON.stringify(succeeded)));
    expect(source.readyState).toBe(FakeEventSource.CLOSED);
    await screen.findByText('succeeded');
    // The lines stay; the log is not fetched again.
    expect(screen.getByLabelText('Solver log')).toHaveTextContent('Integer solution of -15');
    const tree = await screen.findByRole('list', { name: 'Result' });
    expect(tree).toHaveTextContent('objective: 15');
    expect(screen.getByRole('link', { name: 'Download' })).toHaveAttribute(
      'href',
      '/api/v1/runs/run_1/result',
    );
    expect(screen.getByText('Optimal', { selector: 'code' })).toBeInTheDocument();
    expect(screen.getByText('7', { selector: 'code' })).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Cancel run' })).toBeNull();
  });

  it('keeps only the newest lines of a chatty model', async () => {
    mockFetch({ 'GET /api/v1/runs/run_1': () => json(running) });
    renderWithProviders(<RunDetail id="run_1" links={testLinks} />);
    await screen.findByRole('button', { name: 'Cancel run' });
    const [source] = FakeEventSource.instances;
    act(() => {
      source.onopen?.();
      for (let i = 0; i < MAX_LOG_LINES + 1000; i++) source.emit(`iteration ${i}`);
    });
    expect(await screen.findByTestId('run-log-dropped')).toHaveTextContent(
      '1,000 earlier lines are not shown',
    );
    const log = screen.getByLabelText('Solver log');
    expect(log.querySelectorAll('.log-line')).toHaveLength(MAX_LOG_LINES);
    expect(log.querySelector('.log-line')).toHaveTextContent('iteration 1000');
  });

  it('reads the log of an ended run as text', async () => {
    const { calls } = mockFetch({
      'GET /api/v1/runs/run_1': () =>
        json({ ...succeeded, status: 'timed_out', reason: 'time limit of 10 s reached' }),
      'GET /api/v1/runs/run_1/log': () => text('line 1\nline 2\n'),
      'GET /api/v1/runs/run_1/result': () => json({ objective: 12 }),
    });
    renderWithProviders(<RunDetail id="run_1" links={testLinks} />);
    expect(await screen.findByTestId('run-reason')).toHaveTextContent('time limit of 10 s');
    const log = await screen.findByLabelText('Solver log');
    await vi.waitFor(() => expect(log).toHaveTextContent('line 1line 2'));
    expect(FakeEventSource.instances).toHaveLength(0);
    expect(calls.find((c) => c.url.endsWith('/log'))?.headers.accept).toBe('text/plain');
  });

  it('says so for a run that does not exist', async () => {
    mockFetch({});
    renderWithProviders(<RunDetail id="run_x" links={testLinks} />);
    expect(await screen.findByTestId('not-found')).toHaveTextContent('This run does not exist');
  });
});
