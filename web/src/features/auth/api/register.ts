import { useMutation, useQueryClient } from '@tanstack/react-query';
import { apiJson } from '@/lib/api-client';
import type { Session } from '@/types/api';
import { meKey } from './get-me';

export interface RegisterInput {
  username: string;
  email: string;
  password: string;
}

export function register(input: RegisterInput): Promise<Session> {
  return apiJson<Session>('/api/v1/auth/register', { method: 'POST', json: input });
}

export function useRegister() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: register,
    onSuccess: (session) => {
      queryClient.clear();
      queryClient.setQueryData(meKey, session.user);
    },
  });
}
