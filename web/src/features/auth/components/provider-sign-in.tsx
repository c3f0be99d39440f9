import type { IdentityProvider } from '@/types/api';
import { useProviders } from '../api/get-providers';

/**
 * Where a provider's sign-in starts: its start_url, with `next` (a path of
 * this app) when the page knows where the user wanted to go.
 */
export function providerStartHref(provider: IdentityProvider, next?: string | null): string {
  if (!next) return provider.start_url;
  const separator = provider.start_url.includes('?') ? '&' : '?';
  return `${provider.start_url}${separator}next=${encodeURIComponent(next)}`;
}

/**
 * One "Sign in with …" link per configured provider (plain navigations: the
 * server redirects to the provider and back). Nothing when there is none,
 * while they load, or when they cannot be read (the password form remains).
 */
export function ProviderSignIn({ next }: { next?: string | null }) {
  const providers = useProviders();
  if (!providers.data || providers.data.length === 0) return null;
  return (
    <section aria-label="Sign in with a provider" className="mt-3">
      <div className="d-flex align-items-center gap-2 text-secondary small mb-2">
        <hr className="flex-grow-1 my-0" />
        <span>or</span>
        <hr className="flex-grow-1 my-0" />
      </div>
      <div className="d-grid gap-2">
        {providers.data.map((p) => (
          <a key={p.id} className="btn btn-outline-secondary" href={providerStartHref(p, next)}>
            Sign in with {p.name}
          </a>
        ))}
      </div>
    </section>
  );
}
