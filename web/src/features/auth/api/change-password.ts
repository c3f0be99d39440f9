import { useMutation, useQueryClient } from '@tanstack/react-query';
import { apiJson } from '@/lib/api-client';
import type { Session } from '@/types/api';
import { meKey } from './get-me';

export interface ChangePasswordInput {
  current_password: string;
  new_password: string;
}

/**
 * Changes the password. The server ends every session (this one too) and
 * answers with a fresh one, whose cookies it sets.
 */
export function changePassword(input: ChangePasswordInput): Promise<Session> {
  return apiJson<Session>('/api/v1/me/password', { method: 'POST', json: input });
}

export function useChangePassword() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: changePassword,
    onSuccess: (session) => queryClient.setQueryData(meKey, session.user),
  });
}
