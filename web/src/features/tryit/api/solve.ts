import { useMutation } from '@tanstack/react-query';
import { request } from '@/lib/api-client';

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

/** POST /s/<owner>/<project>/solve with a JSON body, through the gateway. */
export async function solve(owner: string, name: string, input: string): Promise<SolveResult> {
  const started = performance.now();
  const res = await request(`/s/${encodeURIComponent(owner)}/${encodeURIComponent(name)}/solve`, {
    method: 'POST',
    body: input,
    headers: { 'Content-Type': 'application/json' },
    raw: true,
  });
  const text = await res.text();
  return {
    status: res.status,
    ok: res.ok,
    millis: Math.round(performance.now() - started),
    body: pretty(text),
  };
}

export function useSolve(owner: string, name: string) {
  return useMutation({ mutationFn: (input: string) => solve(owner, name, input) });
}
