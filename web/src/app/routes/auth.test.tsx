import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { json, mockFetch } from '@/testing/fetch-mock';
import { renderWithProviders } from '@/testing/render';
import type { IdentityProvider } from '@/types/api';
import { LoginRoute } from './auth';

const PROVIDERS: IdentityProvider[] = [
  { id: 'corp', name: 'Corp SSO', kind: 'oidc', start_url: '/api/v1/auth/oidc/corp/start' },
  { id: 'github', name: 'GitHub', kind: 'github', start_url: '/api/v1/auth/oidc/github/start' },
];

function mockProviders(providers: IdentityProvider[]) {
  return mockFetch({ 'GET /api/v1/auth/providers': () => json({ providers }) });
}

describe('LoginRoute', () => {
  it('links to each provider, carrying where the user wanted to go', async () => {
    mockProviders(PROVIDERS);
    renderWithProviders(<LoginRoute />, {
      route: `/login?next=${encodeURIComponent('/projects/alice/knap/runs?status=failed')}`,
    });
    const corp = await screen.findByRole('link', { name: 'Sign in with Corp SSO' });
    expect(corp.tagName).toBe('A');
    expect(corp).toHaveAttribute(
      'href',
      '/api/v1/auth/oidc/corp/start?next=%2Fprojects%2Falice%2Fknap%2Fruns%3Fstatus%3Dfailed',
    );
    expect(screen.getByRole('link', { name: 'Sign in with GitHub' })).toHaveAttribute(
      'href',
      '/api/v1/auth/oidc/github/start?next=%2Fprojects%2Falice%2Fknap%2Fruns%3Fstatus%3Dfailed',
    );
  });

  it('links to the bare start_url without a next path', async () => {
    mockProviders(PROVIDERS);
    renderWithProviders(<LoginRoute />, { route: '/login' });
    expect(await screen.findByRole('link', { name: 'Sign in with Corp SSO' })).toHaveAttribute(
      'href',
      '/api/v1/auth/oidc/corp/start',
    );
  });

  it('never passes on a next that leaves the app', async () => {
    mockProviders(PROVIDERS);
    renderWithProviders(<LoginRoute />, { route: '/login?next=%2F%2Fevil.example%2F' });
    expect(await screen.findByRole('link', { name: 'Sign in with GitHub' })).toHaveAttribute(
      'href',
      '/api/v1/auth/oidc/github/start',
    );
  });

  it('shows no provider section when none is configured', async () => {
    const { calls } = mockProviders([]);
    renderWithProviders(<LoginRoute />, { route: '/login' });
    await vi.waitFor(() => expect(calls).toHaveLength(1));
    expect(screen.getByRole('button', { name: 'Log in' })).toBeInTheDocument();
    expect(screen.queryByRole('region', { name: 'Sign in with a provider' })).toBeNull();
    expect(screen.queryByRole('link', { name: /^Sign in with/ })).toBeNull();
  });

  it('shows the error a failed provider sign-in came back with, until closed', async () => {
    mockProviders(PROVIDERS);
    renderWithProviders(<LoginRoute />, {
      route: `/login?error=${encodeURIComponent('the provider refused: access_denied')}`,
    });
    const alert = screen.getByRole('alert');
    expect(alert).toHaveTextContent('the provider refused: access_denied');
    expect(alert).toHaveClass('alert-danger');
    await screen.findByRole('link', { name: 'Sign in with GitHub' });
    await userEvent.setup().click(within(alert).getByRole('button', { name: 'Close alert' }));
    expect(screen.queryByRole('alert')).toBeNull();
  });
});
