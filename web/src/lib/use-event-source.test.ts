import { renderHook } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeEventSource } from '@/testing/fake-event-source';
import { useEventSource } from './use-event-source';

describe('useEventSource', () => {
  beforeEach(() => {
    FakeEventSource.instances = [];
    vi.stubGlobal('EventSource', FakeEventSource);
  });
  afterEach(() => vi.restoreAllMocks());

  it('reports a stream that failed while the page follows it', () => {
    const onError = vi.fn();
    renderHook(() => useEventSource('/logs', { onError }));
    const source = FakeEventSource.instances[0];
    source.readyState = FakeEventSource.CLOSED;
    source.onerror?.();
    expect(onError).toHaveBeenCalledTimes(1);
  });

  it('closes the stream on unmount without reporting or logging an error', () => {
    const onError = vi.fn();
    const consoleError = vi.spyOn(console, 'error');
    const { unmount } = renderHook(() => useEventSource('/logs', { onError }));
    const source = FakeEventSource.instances[0];
    unmount();
    expect(source.readyState).toBe(FakeEventSource.CLOSED);
    // The error event a browser fires for the aborted connection.
    source.onerror?.();
    expect(onError).not.toHaveBeenCalled();
    expect(consoleError).not.toHaveBeenCalled();
  });

  it('closes the stream quietly when the page goes away', () => {
    const onError = vi.fn();
    renderHook(() => useEventSource('/logs', { onError }));
    const source = FakeEventSource.instances[0];
    window.dispatchEvent(new Event('pagehide'));
    expect(source.readyState).toBe(FakeEventSource.CLOSED);
    source.onerror?.();
    expect(onError).not.toHaveBeenCalled();
  });

  it('opens nothing without a URL', () => {
    renderHook(() => useEventSource(null, {}));
    expect(FakeEventSource.instances).toHaveLength(0);
  });
});
