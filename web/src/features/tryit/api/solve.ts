import { useMutation } from '@tanstack/react-query';
import { ApiError } from '@/lib/api-client';

export interface SolveResult {
  status: number;
  ok: boolean;
  millis: number;
  /** Pretty-printed JSON when the body is JSON, else the raw text. */
  body: string;
}

function pretty(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

/**
 * POST <service URL>solve with a JSON body. The service lives on its own
 * origin: ORSA's cookies are never sent (a private service takes a bearer
 * token instead), and the gateway grants this app's origin CORS reads.
 */
export async function solve(serviceUrl: string, input: string, token = ''): Promise<SolveResult> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  const started = performance.now();
  let res: Response;
  try {
    res = await fetch(new URL('solve', serviceUrl).toString(), {
      method: 'POST',
      body: input,
      headers,
      credentials: 'omit',
    });
  } catch {
    throw new ApiError(0, 'network', `Cannot reach the service at ${serviceUrl}.`);
  }
  const text = await res.text();
  return {
    status: res.status,
    ok: res.ok,
    millis: Math.round(performance.now() - started),
    body: pretty(text),
  };
}

export function useSolve(serviceUrl: string, token: string) {
  return useMutation({ mutationFn: (input: string) => solve(serviceUrl, input, token) });
}
