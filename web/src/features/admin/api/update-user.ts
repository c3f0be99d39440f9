import { useMutation, useQueryClient } from '@tanstack/react-query';
import { apiJson } from '@/lib/api-client';
import type { JsonRequest, JsonResponse } from '@/lib/api/contract';
import type { User } from '@/types/api';
import { usersKey } from './get-users';

export type UpdateUserInput = { id: string } & JsonRequest<'/api/v1/users/{id}', 'patch'>;

export function updateUser({ id, ...patch }: UpdateUserInput): Promise<User> {
  return apiJson<JsonResponse<'/api/v1/users/{id}', 'patch'>>(
    `/api/v1/users/${encodeURIComponent(id)}`,
    { method: 'PATCH', json: patch },
  );
}

export function useUpdateUser() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: updateUser,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: usersKey }),
  });
}
