import { useMutation, useQueryClient } from '@tanstack/react-query';
import { apiJson } from '@/lib/api-client';
import type { JsonRequest, JsonResponse } from '@/lib/api/contract';
import type { Session } from '@/types/api';
import { meKey } from './get-me';

export type RegisterInput = JsonRequest<'/api/v1/auth/register', 'post'>;

export function register(input: RegisterInput): Promise<Session> {
  return apiJson<JsonResponse<'/api/v1/auth/register', 'post'>>('/api/v1/auth/register', {
    method: 'POST',
    json: input,
  });
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
