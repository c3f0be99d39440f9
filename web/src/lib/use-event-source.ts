import { useEffect } from 'react';
import { useLatest } from './use-latest';

export interface EventSourceHandlers {
  /** Each `data:` message of the default event. */
  onMessage?: (data: string) => void;
  /** Named events (`event: end`). Returning true closes the stream. */
  onEvent?: Record<string, (data: string) => boolean | void>;
  /** The connection opened (again): the server replays history from here. */
  onOpen?: () => void;
  /** The stream failed and the browser gave up (or we did). */
  onError?: () => void;
}

/**
 * Follows a same-origin Server-Sent Events URL while `url` is set. The
 * browser sends the session cookie and `Accept: text/event-stream`.
 */
export function useEventSource(url: string | null, handlers: EventSourceHandlers): void {
  const latest = useLatest(handlers);
  useEffect(() => {
    if (!url) return;
    const source = new EventSource(url, { withCredentials: true });
    source.onopen = () => latest.current.onOpen?.();
    source.onmessage = (e: MessageEvent<string>) => latest.current.onMessage?.(e.data);
    const names = Object.keys(latest.current.onEvent ?? {});
    for (const name of names) {
      source.addEventListener(name, (e) => {
        const data = (e as MessageEvent<string>).data;
        if (latest.current.onEvent?.[name]?.(data)) source.close();
      });
    }
    // Closing on purpose (the page unmounts or the tab goes away) is not a
    // failure: the error event some browsers fire for it is not reported.
    let closing = false;
    const close = () => {
      closing = true;
      source.close();
    };
    source.onerror = () => {
      if (closing) return;
      // A closed stream (server ended, 4xx) is final; a connecting one retries.
      if (source.readyState === EventSource.CLOSED) latest.current.onError?.();
    };
    // Leaving the page (reload, another site) tears the stream down before
    // React unmounts: close it first so the browser does not log it as broken.
    window.addEventListener('pagehide', close);
    return () => {
      window.removeEventListener('pagehide', close);
      close();
    };
  }, [url, latest]);
}
