import { useEffect } from 'react';
import { act, screen } from '@testing-library/react';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeEventSource } from '@/testing/fake-event-source';
import { json, mockFetch } from '@/testing/fetch-mock';
import { renderWithProviders } from '@/testing/render';
import type { Build } from '@/types/api';
import { useToast } from '@/components/ui/toasts';
import { buildToastKey } from '../api/build-status';
import { BuildLog } from './build-log';

/** Raises the toast BuildButton raises when it queues a build. */
function QueuedToast() {
  const toast = useToast();
  useEffect(
    () => toast.notify('info', 'Build #3 queued.', { key: buildToastKey('bld_1') }),
    [toast],
  );
  return null;
}

const running: Build = {
  id: 'bld_1',
  project: 'alice/knap',
  owner: 'alice',
  name: 'knap',
  number: 3,
  commit: 'abcdef1234567',
  status: 'running',
  error: null,
  created_at: '2026-01-01T00:00:00Z',
  started_at: '2026-01-01T00:00:01Z',
  finished_at: null,
  duration_s: null,
  image_id: null,
};

describe('BuildLog', () => {
  beforeEach(() => {
    FakeEventSource.instances = [];
    vi.stubGlobal('EventSource', FakeEventSource);
  });

  it('renders SSE lines as they arrive, the step progress, then the final status', async () => {
    mockFetch({ 'GET /api/v1/builds/bld_1': () => json(running) });
    renderWithProviders(<BuildLog id="bld_1" imagesHref="/images" />);
    expect(await screen.findByText('Build #3')).toBeInTheDocument();
    expect(screen.getByText('No output yet.')).toBeInTheDocument();
    const source = FakeEventSource.instances[0];
    expect(source.url).toBe('/api/v1/builds/bld_1/logs');
    act(() => {
      source.onopen?.();
      source.emit('build 3 of alice/knap at abcdef1');
      source.emit('step extract done in 0.3 ms: 4 files');
      source.emit('step render done in 7.7 ms');
    });
    expect(screen.getByText('step render done in 7.7 ms')).toBeInTheDocument();
    expect(screen.getByText('2/5 steps')).toBeInTheDocument();
    expect(screen.getByText('running')).toBeInTheDocument();

    act(() => {
      source.emit('step layer done in 4.9 ms');
      source.emit('step config done in 4.8 ms');
      source.emit('step push done in 7.2 ms: sha256:0b1b');
      source.emitNamed(
        'end',
        JSON.stringify({ ...running, status: 'succeeded', duration_s: 2, image_id: 'img_1' }),
      );
    });
    expect(await screen.findByText('succeeded')).toBeInTheDocument();
    expect(screen.getByText('5/5 steps')).toBeInTheDocument();
    expect(screen.getByText('Elapsed: 2.0 s')).toBeInTheDocument();
    expect(screen.getByRole('link', { name: /Image tag 3/ })).toHaveAttribute('href', '/images');
    expect(source.readyState).toBe(FakeEventSource.CLOSED);
  });

  it('shows why a build failed', async () => {
    mockFetch({ 'GET /api/v1/builds/bld_1': () => json(running) });
    renderWithProviders(<BuildLog id="bld_1" />);
    await screen.findByText('Build #3');
    const source = FakeEventSource.instances[0];
    act(() => {
      source.emit("error: unknown key 'service.timout'");
      source.emitNamed(
        'end',
        JSON.stringify({ ...running, status: 'failed', error: "unknown key 'service.timout'" }),
      );
    });
    expect(await screen.findByText(/Build failed: unknown key/)).toBeInTheDocument();
    expect(screen.getByText('failed')).toBeInTheDocument();
  });

  it('replaces the "queued" toast with the outcome of the build', async () => {
    mockFetch({ 'GET /api/v1/builds/bld_1': () => json({ ...running, status: 'queued' }) });
    renderWithProviders(
      <>
        <QueuedToast />
        <BuildLog id="bld_1" />
      </>,
    );
    await screen.findByText('Build #3');
    expect(screen.getByText('Build #3 queued.')).toBeInTheDocument();
    act(() => {
      FakeEventSource.instances[0].emitNamed(
        'end',
        JSON.stringify({ ...running, status: 'succeeded', duration_s: 1 }),
      );
    });
    expect(await screen.findByText('Build #3 succeeded.')).toBeInTheDocument();
    expect(screen.queryByText('Build #3 queued.')).not.toBeInTheDocument();
  });
});
