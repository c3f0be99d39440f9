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
    source.onerror = () => {
      // A closed stream (server ended, 4xx) is final; a connecting one retries.
      if (source.readyState === EventSource.CLOSED) latest.current.onError?.();
    };
    return () => source.close();
  }, [url, latest]);
}
