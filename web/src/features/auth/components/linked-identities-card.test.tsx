import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { apiError, json, mockFetch } from '@/testing/fetch-mock';
import { renderWithProviders } from '@/testing/render';
import type { Identity, IdentityProvider } from '@/types/api';
import { LinkedIdentitiesCard } from './linked-identities-card';

const PROVIDERS: IdentityProvider[] = [
  { id: 'corp', name: 'Corp SSO', kind: 'oidc', start_url: '/api/v1/auth/oidc/corp/start' },
  { id: 'github', name: 'GitHub', kind: 'github', start_url: '/api/v1/auth/oidc/github/start' },
];

function identity(over: Partial<Identity> = {}): Identity {
  return {
    id: 'idn_1',
    provider: 'corp',
    provider_name: 'Corp SSO',
    subject: 'sub-0001',
    email: 'alice@corp.example',
    created_at: '2026-01-02T03:04:05Z',
    ...over,
  };
}

describe('LinkedIdentitiesCard', () => {
  it('lists the linked identities with provider, email, subject and date', async () => {
    mockFetch({
      'GET /api/v1/me/identities': () =>
        json({
          identities: [
            identity(),
            identity({
              id: 'idn_2',
              provider: 'github',
              provider_name: 'GitHub',
              subject: '4242',
              email: '',
            }),
          ],
        }),
      'GET /api/v1/auth/providers': () => json({ providers: PROVIDERS }),
    });
    renderWithProviders(<LinkedIdentitiesCard />);
    const table = await screen.findByRole('table', { name: 'Linked identities' });
    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows).toHaveLength(2);
    const corp = within(rows[0]);
    expect(corp.getByRole('cell', { name: 'Corp SSO' })).toBeInTheDocument();
    expect(corp.getByRole('cell', { name: 'alice@corp.example' })).toBeInTheDocument();
    expect(corp.getByRole('cell', { name: 'sub-0001' })).toBeInTheDocument();
    expect(
      corp.getByRole('cell', { name: new Date('2026-01-02T03:04:05Z').toLocaleString() }),
    ).toBeInTheDocument();
    expect(within(rows[1]).getByRole('cell', { name: '4242' })).toBeInTheDocument();
    expect(within(rows[1]).getByRole('button', { name: 'Unlink GitHub 4242' })).toBeEnabled();
    expect(await screen.findByRole('button', { name: 'Link Corp SSO' })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Link GitHub' })).toBeInTheDocument();
  });

  it('unlinks an identity and lists what is left', async () => {
    let identities = [identity(), identity({ id: 'idn_2', subject: 'sub-0002', email: 'b@x' })];
    const { calls } = mockFetch({
      'GET /api/v1/me/identities': () => json({ identities }),
      'GET /api/v1/auth/providers': () => json({ providers: PROVIDERS }),
      'DELETE /api/v1/me/identities/idn_1': () => {
        identities = identities.filter((i) => i.id !== 'idn_1');
        return new Response(null, { status: 204 });
      },
    });
    document.cookie = 'orsa_csrf=csrf-1; path=/';
    renderWithProviders(<LinkedIdentitiesCard />);
    const user = userEvent.setup();
    await user.click(
      await screen.findByRole('button', { name: 'Unlink Corp SSO alice@corp.example' }),
    );
    await vi.waitFor(() =>
      expect(screen.queryByRole('cell', { name: 'sub-0001' })).not.toBeInTheDocument(),
    );
    expect(screen.getByRole('cell', { name: 'sub-0002' })).toBeInTheDocument();
    const del = calls.find((c) => c.method === 'DELETE');
    expect(del?.url).toBe('/api/v1/me/identities/idn_1');
    expect(del?.headers['x-csrf-token']).toBe('csrf-1');
    expect(await screen.findByText('Corp SSO identity unlinked.')).toBeInTheDocument();
    expect(document.querySelector('.alert-danger')).toBeNull();
  });

  it("shows the server's refusal to unlink the last way to sign in", async () => {
    mockFetch({
      'GET /api/v1/me/identities': () => json({ identities: [identity()] }),
      'GET /api/v1/auth/providers': () => json({ providers: PROVIDERS }),
      'DELETE /api/v1/me/identities/idn_1': () =>
        apiError(
          409,
          'conflict',
          'this identity is your only way to sign in; set a password first',
        ),
    });
    renderWithProviders(<LinkedIdentitiesCard />);
    const user = userEvent.setup();
    await user.click(
      await screen.findByRole('button', { name: 'Unlink Corp SSO alice@corp.example' }),
    );
    expect(await screen.findByRole('alert')).toHaveTextContent(
      'this identity is your only way to sign in; set a password first',
    );
    expect(screen.getByRole('cell', { name: 'sub-0001' })).toBeInTheDocument();
  });

  it("asks to link a provider and opens the provider's authorization URL", async () => {
    const assign = vi.fn();
    vi.stubGlobal('location', { ...window.location, assign });
    const authorizationUrl = 'https://github.com/login/oauth/authorize?client_id=c&state=s';
    const { calls } = mockFetch({
      'GET /api/v1/me/identities': () => json({ identities: [] }),
      'GET /api/v1/auth/providers': () => json({ providers: PROVIDERS }),
      'POST /api/v1/me/identities': () => json({ authorization_url: authorizationUrl }),
    });
    document.cookie = 'orsa_csrf=csrf-2; path=/';
    renderWithProviders(<LinkedIdentitiesCard />);
    expect(await screen.findByText('No identity is linked to this account.')).toBeInTheDocument();
    const user = userEvent.setup();
    await user.click(await screen.findByRole('button', { name: 'Link GitHub' }));
    await vi.waitFor(() => expect(assign).toHaveBeenCalledWith(authorizationUrl));
    const post = calls.find((c) => c.method === 'POST');
    expect(JSON.parse(post?.body ?? '')).toEqual({ provider: 'github' });
    expect(post?.headers['x-csrf-token']).toBe('csrf-2');
    // On its way to the provider: no second request.
    expect(screen.getByRole('button', { name: 'Link Corp SSO' })).toBeDisabled();
  });

  it('shows why linking could not start, and stays', async () => {
    const assign = vi.fn();
    vi.stubGlobal('location', { ...window.location, assign });
    mockFetch({
      'GET /api/v1/me/identities': () => json({ identities: [] }),
      'GET /api/v1/auth/providers': () => json({ providers: PROVIDERS }),
      'POST /api/v1/me/identities': () => apiError(404, 'not_found', 'no such provider'),
    });
    renderWithProviders(<LinkedIdentitiesCard />);
    const user = userEvent.setup();
    await user.click(await screen.findByRole('button', { name: 'Link Corp SSO' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('no such provider');
    expect(assign).not.toHaveBeenCalled();
    expect(screen.getByRole('button', { name: 'Link Corp SSO' })).toBeEnabled();
  });

  it('says so when no provider is configured', async () => {
    mockFetch({
      'GET /api/v1/me/identities': () => json({ identities: [] }),
      'GET /api/v1/auth/providers': () => json({ providers: [] }),
    });
    renderWithProviders(<LinkedIdentitiesCard />);
    expect(
      await screen.findByText('No sign-in provider is configured on this server.'),
    ).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: /^Link / })).not.toBeInTheDocument();
  });
});
