import { useMutation, useQueryClient } from '@tanstack/react-query';
import { apiJson } from '@/lib/api-client';
import type { JsonRequest, JsonResponse } from '@/lib/api/contract';
import type { Session } from '@/types/api';
import { meKey } from './get-me';

export type LoginInput = JsonRequest<'/api/v1/auth/login', 'post'>;

export function login(input: LoginInput): Promise<Session> {
  return apiJson<JsonResponse<'/api/v1/auth/login', 'post'>>('/api/v1/auth/login', {
    method: 'POST',
    json: input,
  });
}

export function useLogin() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: login,
    onSuccess: (session) => {
      queryClient.clear();
      queryClient.setQueryData(meKey, session.user);
    },
  });
}
