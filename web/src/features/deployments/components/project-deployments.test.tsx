import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeEventSource } from '@/testing/fake-event-source';
import { json, mockFetch } from '@/testing/fetch-mock';
import { deployment } from '@/testing/fixtures';
import { renderWithProviders } from '@/testing/render';
import type { Deployment } from '@/types/api';
import { pickMain, ProjectDeployments } from './project-deployments';

// uPlot draws on a canvas, which jsdom lacks; the charts have no assertions here.
vi.mock('uplot', () => ({
  default: class {
    setData() {}
    setSize() {}
    destroy() {}
  },
}));

const metrics = {
  deployment_id: 'dep_x',
  requests: { '1xx': 0, '2xx': 3, '3xx': 0, '4xx': 0, '5xx': 0 },
  bytes_in: 0,
  bytes_out: 0,
  in_flight: 0,
  workers: 2,
  queued: 0,
  latency: { buckets: [{ le: '+Inf', count: 3 }], sum_seconds: 0.03, count: 3 },
  last_request_at: null,
};

const oldLive = deployment({
  id: 'dep_old',
  image_tag: '2',
  created_at: '2026-01-01T00:00:00Z',
});
const stopped = deployment({
  id: 'dep_older',
  image_tag: '1',
  status: 'stopped',
  desired: 'stopped',
  live: false,
  status_reason: 'replaced by dep_old',
  created_at: '2025-12-31T00:00:00Z',
});

function serve(initial: Deployment[]) {
  let list = [...initial];
  const byId = new Map(list.map((d) => [d.id, d]));
  return mockFetch({
    'GET /api/v1/deployments': () => json({ deployments: list }),
    'GET /api/v1/deployments/*': (call) => {
      const id = call.url.split('/')[4].split('?')[0];
      if (call.url.endsWith('/metrics')) return json({ ...metrics, deployment_id: id });
      return json(byId.get(id));
    },
    'DELETE /api/v1/deployments/*': (call) => {
      list = list.filter((d) => !call.url.endsWith(`/${d.id}`));
      return new Response(null, { status: 204 });
    },
  });
}

describe('pickMain', () => {
  it('shows a rollout in progress, else the live deployment, else the newest', () => {
    const rollout = deployment({ id: 'dep_new', status: 'pulling', live: false });
    expect(pickMain([rollout, oldLive, stopped])?.id).toBe('dep_new');
    const failed = deployment({ id: 'dep_bad', status: 'failed', live: false });
    expect(pickMain([failed, oldLive, stopped])?.id).toBe('dep_old');
    expect(pickMain([stopped])?.id).toBe('dep_older');
    expect(pickMain([])).toBeUndefined();
  });
});

describe('ProjectDeployments', () => {
  beforeEach(() => {
    FakeEventSource.instances = [];
    vi.stubGlobal('EventSource', FakeEventSource);
  });

  it('shows the live deployment in full and lists the replaced one with its reason', async () => {
    serve([oldLive, stopped]);
    renderWithProviders(<ProjectDeployments owner="alice" name="knap" />);
    const card = await screen.findByText('Image 2');
    expect(card.closest('.deployment-card')).toHaveAttribute('data-deployment-id', 'dep_old');
    const others = screen.getByRole('table', { name: 'Other deployments' });
    expect(within(others).getByText('Image 1')).toBeInTheDocument();
    expect(within(others).getByText('replaced by dep_old')).toBeInTheDocument();
    expect(FakeEventSource.instances[0].url).toBe('/api/v1/deployments/dep_old/logs?tail=200');
  });

  it('says when the latest deployment failed and the old one keeps serving', async () => {
    const failed = deployment({
      id: 'dep_bad',
      image_tag: '3',
      status: 'failed',
      live: false,
      status_reason: 'health check failed: RuntimeError',
      created_at: '2026-01-02T00:00:00Z',
    });
    serve([failed, oldLive]);
    renderWithProviders(<ProjectDeployments owner="alice" name="knap" />);
    expect(await screen.findByTestId('latest-failed')).toHaveTextContent(
      'The latest deployment (image 3) failed; image 2 keeps serving. health check failed',
    );
  });

  it('deletes a listed deployment and drops it from the page at once', async () => {
    const { calls } = serve([oldLive, stopped]);
    renderWithProviders(<ProjectDeployments owner="alice" name="knap" />);
    const others = await screen.findByRole('table', { name: 'Other deployments' });
    const user = userEvent.setup();
    await user.click(within(others).getByRole('button', { name: /Delete deployment/ }));
    const dialog = screen.getByRole('dialog');
    expect(dialog).toHaveTextContent('Delete the deployment of image 1?');
    await user.click(within(dialog).getByRole('button', { name: 'Delete' }));
    await vi.waitFor(() =>
      expect(calls.some((c) => c.method === 'DELETE' && c.url.endsWith('/dep_older'))).toBe(true),
    );
    await vi.waitFor(() =>
      expect(screen.queryByRole('table', { name: 'Other deployments' })).toBeNull(),
    );
  });

  it('shows a paused deployment as live and says a request wakes it', async () => {
    const paused = deployment({ ...oldLive, status: 'paused', status_reason: 'idle' });
    serve([paused]);
    renderWithProviders(<ProjectDeployments owner="alice" name="knap" />);
    const card = (await screen.findByText('Image 2')).closest('.deployment-card') as HTMLElement;
    expect(within(card).getByText('live')).toBeInTheDocument();
    expect(card).toHaveTextContent('the next request wakes it within milliseconds');
    expect(within(card).queryByLabelText('Deployment progress')).toBeNull();
  });

  it('says when nothing is deployed', async () => {
    serve([]);
    renderWithProviders(<ProjectDeployments owner="alice" name="knap" />);
    expect(await screen.findByText('Not deployed')).toBeInTheDocument();
  });
});
