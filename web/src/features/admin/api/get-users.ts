import { useQuery } from '@tanstack/react-query';
import { apiJson } from '@/lib/api-client';
import type { User } from '@/types/api';

export const usersKey = ['users'] as const;

export async function getUsers(): Promise<User[]> {
  const body = await apiJson<{ users: User[] }>('/api/v1/users');
  return body.users;
}

export function useUsers() {
  return useQuery({ queryKey: usersKey, queryFn: getUsers });
}
