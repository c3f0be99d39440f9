import { useQuery } from '@tanstack/react-query';
import { apiJson } from '@/lib/api-client';
import type { User } from '@/types/api';

export const meKey = ['me'] as const;

export function getMe(): Promise<User> {
  return apiJson<User>('/api/v1/me');
}

/** The logged-in user; a 401 sends the browser to the login page. */
export function useMe() {
  return useQuery({ queryKey: meKey, queryFn: getMe, staleTime: 60_000 });
}
