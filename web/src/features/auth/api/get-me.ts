import { useQuery } from '@tanstack/react-query';
import { apiJson, hasSessionCookie, notLoggedIn } from '@/lib/api-client';
import type { JsonResponse } from '@/lib/api/contract';

export const meKey = ['me'] as const;

/** The user with what they use against their limits. */
export type Me = JsonResponse<'/api/v1/me', 'get'>;

/**
 * The logged-in user. Without the session's CSRF cookie the browser is
 * logged out: no request is sent (it could only answer 401, which the
 * browser would log as a console error) and the login page is shown.
 */
export function getMe(): Promise<Me> {
  if (!hasSessionCookie()) return Promise.reject(notLoggedIn());
  return apiJson<JsonResponse<'/api/v1/me', 'get'>>('/api/v1/me');
}

/** The logged-in user; a 401 sends the browser to the login page. */
export function useMe() {
  return useQuery({ queryKey: meKey, queryFn: getMe, staleTime: 60_000 });
}
