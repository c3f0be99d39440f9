import { useMutation } from '@tanstack/react-query';
import { apiJson } from '@/lib/api-client';
import type { JsonRequest, JsonResponse } from '@/lib/api/contract';

export type LinkIdentityInput = JsonRequest<'/api/v1/me/identities', 'post'>;

/**
 * Starts linking a provider identity to the signed-in user: the answer is
 * the provider's authorization URL, which the browser must open; the
 * callback links the identity and lands on `next` (default /account).
 */
export async function linkIdentity(input: LinkIdentityInput): Promise<string> {
  const body = await apiJson<JsonResponse<'/api/v1/me/identities', 'post'>>(
    '/api/v1/me/identities',
    { method: 'POST', json: input },
  );
  return body.authorization_url;
}

/** Starts linking and, once the server answers, leaves for the provider. */
export function useLinkIdentity() {
  return useMutation({
    mutationFn: linkIdentity,
    onSuccess: (authorizationUrl) => window.location.assign(authorizationUrl),
  });
}
