import { afterEach, describe, expect, it, vi } from 'vitest';
import { apiError, json, mockFetch, text } from '@/testing/fetch-mock';
import {
  ApiError,
  apiJson,
  hasSessionCookie,
  readCsrfToken,
  setUnauthorizedHandler,
} from './api-client';

describe('api client', () => {
  afterEach(() => setUnauthorizedHandler(() => {}));

  it('sends the CSRF cookie value in X-CSRF-Token on unsafe methods only', async () => {
    document.cookie = 'orsa_csrf=tok%2Fen123; path=/';
    const { calls } = mockFetch({
      'GET /api/v1/projects': () => json({ projects: [] }),
      'POST /api/v1/projects': () => json({ id: 'p' }, 201),
    });
    await apiJson('/api/v1/projects');
    await apiJson('/api/v1/projects', { method: 'POST', json: { name: 'x' } });
    expect(calls[0].headers['x-csrf-token']).toBeUndefined();
    expect(calls[1].headers['x-csrf-token']).toBe('tok/en123');
    expect(calls[1].headers['content-type']).toBe('application/json');
    expect(calls[1].body).toBe('{"name":"x"}');
  });

  it('reads the CSRF cookie among others', () => {
    expect(readCsrfToken('a=1; orsa_csrf=xyz; b=2')).toBe('xyz');
    expect(readCsrfToken('a=1')).toBeUndefined();
  });

  it("turns the server's error JSON into an ApiError with its message", async () => {
    mockFetch({
      'POST /api/v1/projects': () =>
        apiError(409, 'conflict', "project 'knap' already exists", { current_head: 'abc' }),
    });
    const error = await apiJson('/api/v1/projects', { method: 'POST', json: {} }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).message).toBe("project 'knap' already exists");
    expect((error as ApiError).status).toBe(409);
    expect((error as ApiError).code).toBe('conflict');
    expect((error as ApiError).currentHead).toBe('abc');
  });

  it('gives a readable message for errors without JSON', async () => {
    mockFetch({ 'GET /api/v1/x': () => text('', 503) });
    await expect(apiJson('/api/v1/x')).rejects.toThrow(
      'The server is unavailable; try again shortly.',
    );
  });

  it('adds Retry-After to rate-limit messages', async () => {
    mockFetch({
      'POST /api/v1/auth/login': () =>
        json({ error: { code: 'rate_limited', message: 'Too many failed logins.' } }, 429, {
          'Retry-After': '30',
        }),
    });
    await expect(apiJson('/api/v1/auth/login', { method: 'POST', json: {} })).rejects.toThrow(
      'Too many failed logins. Try again in 30 s.',
    );
  });

  it('sends a 401 to the login handler, except from the auth endpoints', async () => {
    const handler = vi.fn();
    setUnauthorizedHandler(handler);
    mockFetch({
      'GET /api/v1/me': () => apiError(401, 'unauthenticated', 'authentication required'),
      'POST /api/v1/auth/login': () => apiError(401, 'unauthenticated', 'wrong password'),
    });
    await expect(apiJson('/api/v1/me')).rejects.toThrow('authentication required');
    expect(handler).toHaveBeenCalledTimes(1);
    await expect(apiJson('/api/v1/auth/login', { method: 'POST', json: {} })).rejects.toThrow(
      'wrong password',
    );
    expect(handler).toHaveBeenCalledTimes(1);
  });

  it('reports an unreachable server', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(() => Promise.reject(new TypeError('Failed to fetch'))),
    );
    await expect(apiJson('/api/v1/me')).rejects.toThrow('Cannot reach the ORSA server');
  });

  it('resolves 204 as undefined', async () => {
    mockFetch({ 'DELETE /api/v1/tokens/t1': () => new Response(null, { status: 204 }) });
    await expect(apiJson('/api/v1/tokens/t1', { method: 'DELETE' })).resolves.toBeUndefined();
  });
});

describe('hasSessionCookie', () => {
  it('is true only with a non-empty orsa_csrf cookie', () => {
    expect(hasSessionCookie('theme=dark; orsa_csrf=xyz')).toBe(true);
    expect(hasSessionCookie('orsa_csrf=')).toBe(false);
    expect(hasSessionCookie('')).toBe(false);
  });
});
