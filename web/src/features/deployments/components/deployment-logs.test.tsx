import { act, screen } from '@testing-library/react';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeEventSource } from '@/testing/fake-event-source';
import { renderWithProviders } from '@/testing/render';
import { DeploymentLogs, endReason } from './deployment-logs';

describe('DeploymentLogs', () => {
  beforeEach(() => {
    FakeEventSource.instances = [];
    vi.stubGlobal('EventSource', FakeEventSource);
  });

  it('follows the log, stops at `event: end` and follows again when the generation changes', () => {
    const view = renderWithProviders(<DeploymentLogs id="dep_1" generation="pending:0:" />);
    expect(FakeEventSource.instances).toHaveLength(1);
    const first = FakeEventSource.instances[0];
    expect(first.url).toBe('/api/v1/deployments/dep_1/logs?tail=200');
    // Nothing runs yet: the server ends the stream at once.
    act(() => {
      first.onopen?.();
      first.emitNamed('end', '{}');
    });
    expect(first.readyState).toBe(FakeEventSource.CLOSED);
    expect(FakeEventSource.open()).toHaveLength(0);
    expect(screen.getByTestId('deployment-log-state')).toHaveTextContent('not following');

    view.rerender(<DeploymentLogs id="dep_1" generation="healthy:0:2026-01-01T00:00:04Z" />);
    expect(FakeEventSource.open()).toHaveLength(1);
    const second = FakeEventSource.open()[0];
    act(() => {
      second.onopen?.();
      second.emit('[INFO] Listening at: http://0.0.0.0:8000');
    });
    expect(screen.getByText('[INFO] Listening at: http://0.0.0.0:8000')).toBeInTheDocument();
    expect(screen.getByTestId('deployment-log-state')).toHaveTextContent('(following)');

    // A status change while the stream is open does not open another one.
    view.rerender(<DeploymentLogs id="dep_1" generation="healthy:0:later" />);
    expect(FakeEventSource.instances).toHaveLength(2);
  });

  it("shows the server's reason when following failed", () => {
    renderWithProviders(<DeploymentLogs id="dep_1" generation="healthy:0:x" />);
    act(() => FakeEventSource.instances[0].emitNamed('end', '{"error":"podman is down"}'));
    expect(screen.getByTestId('deployment-log-state')).toHaveTextContent('podman is down');
  });
});

describe('endReason', () => {
  it('reads the error of the end event, if any', () => {
    expect(endReason('{}')).toBeNull();
    expect(endReason('{"error":"gone"}')).toBe('gone');
    expect(endReason('not json')).toBeNull();
  });
});
