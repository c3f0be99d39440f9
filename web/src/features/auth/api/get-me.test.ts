import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError, setUnauthorizedHandler } from '@/lib/api-client';
import { json, mockFetch } from '@/testing/fetch-mock';
import { getMe } from './get-me';

describe('getMe', () => {
  afterEach(() => setUnauthorizedHandler(() => {}));

  it('sends no request without the CSRF cookie and treats the browser as logged out', async () => {
    const { calls } = mockFetch({ 'GET /api/v1/me': () => json({ username: 'alice' }) });
    const unauthorized = vi.fn();
    setUnauthorizedHandler(unauthorized);
    const error = await getMe().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(401);
    expect(calls).toHaveLength(0);
    expect(unauthorized).toHaveBeenCalledOnce();
  });

  it('asks the server when the session cookies are there', async () => {
    document.cookie = 'orsa_csrf=abc; path=/';
    const { calls } = mockFetch({ 'GET /api/v1/me': () => json({ username: 'alice' }) });
    await expect(getMe()).resolves.toEqual({ username: 'alice' });
    expect(calls.map((c) => c.url)).toEqual(['/api/v1/me']);
  });
});
