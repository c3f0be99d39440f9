import { vi } from 'vitest';

export interface RecordedCall {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string | undefined;
  credentials: RequestCredentials | undefined;
}

type Responder = (call: RecordedCall) => Response | Promise<Response>;

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json', ...headers },
  });
}

export function text(body: string, status = 200): Response {
  return new Response(body, { status, headers: { 'Content-Type': 'text/plain' } });
}

export function apiError(status: number, code: string, message: string, extra = {}): Response {
  return json({ error: { code, message, ...extra } }, status);
}

/**
 * Stubs global fetch with routes `"METHOD /path"` (path without query; a
 * trailing `*` matches a prefix). Unmatched calls answer 404 and fail loudly.
 */
export function mockFetch(routes: Record<string, Responder>) {
  const calls: RecordedCall[] = [];
  const fn = vi.fn(async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const url =
      typeof input === 'string' ? input : input instanceof Request ? input.url : input.toString();
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((v, k) => {
      headers[k] = v;
    });
    const call: RecordedCall = {
      method: (init.method ?? 'GET').toUpperCase(),
      url,
      headers,
      body: typeof init.body === 'string' ? init.body : undefined,
      credentials: init.credentials,
    };
    calls.push(call);
    const path = url.split('?')[0];
    for (const [key, responder] of Object.entries(routes)) {
      const [method, pattern] = key.split(' ');
      const match = pattern.endsWith('*')
        ? path.startsWith(pattern.slice(0, -1))
        : path === pattern;
      if (method === call.method && match) return responder(call);
    }
    return apiError(404, 'not_found', `unmocked ${call.method} ${url}`);
  });
  vi.stubGlobal('fetch', fn);
  return { fn, calls };
}
