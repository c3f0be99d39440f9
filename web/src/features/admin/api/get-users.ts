import { useQuery } from '@tanstack/react-query';
import { apiJson } from '@/lib/api-client';
import type { JsonResponse } from '@/lib/api/contract';
import type { User } from '@/types/api';

export const usersKey = ['users'] as const;

export async function getUsers(): Promise<User[]> {
  const body = await apiJson<JsonResponse<'/api/v1/users', 'get'>>('/api/v1/users');
  return body.users;
}

export function useUsers() {
  return useQuery({ queryKey: usersKey, queryFn: getUsers });
}
