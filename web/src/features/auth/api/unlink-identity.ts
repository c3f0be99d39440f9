import { useMutation, useQueryClient } from '@tanstack/react-query';
import { apiJson } from '@/lib/api-client';
import { identitiesKey } from './get-identities';

/**
 * Unlinks an identity. Refused (409) when it is the user's last way to sign
 * in: no password and no other identity.
 */
export function unlinkIdentity(id: string): Promise<void> {
  return apiJson<void>(`/api/v1/me/identities/${encodeURIComponent(id)}`, { method: 'DELETE' });
}

export function useUnlinkIdentity() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: unlinkIdentity,
    onSettled: () => queryClient.invalidateQueries({ queryKey: identitiesKey }),
  });
}
