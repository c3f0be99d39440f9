import { useMutation, useQueryClient } from '@tanstack/react-query';
import { apiJson } from '@/lib/api-client';
import type { Role, User } from '@/types/api';
import { usersKey } from './get-users';

export interface UpdateUserInput {
  id: string;
  role?: Role;
  disabled?: boolean;
}

export function updateUser({ id, ...patch }: UpdateUserInput): Promise<User> {
  return apiJson<User>(`/api/v1/users/${encodeURIComponent(id)}`, { method: 'PATCH', json: patch });
}

export function useUpdateUser() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: updateUser,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: usersKey }),
  });
}
