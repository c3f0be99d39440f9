import { QueryClient } from '@tanstack/react-query';
import { render, screen } from '@testing-library/react';
import { createMemoryRouter, RouterProvider } from 'react-router';
import { describe, expect, it } from 'vitest';
import { AppProviders } from '@/app/providers';
import { json, mockFetch } from '@/testing/fetch-mock';
import { AccountLayout, AccountRoute } from './account';

function renderAccount(url: string) {
  const router = createMemoryRouter(
    [
      {
        path: '/account',
        element: <AccountLayout />,
        children: [
          { index: true, element: <AccountRoute /> },
          { path: 'tokens', element: <p>tokens page</p> },
        ],
      },
    ],
    { initialEntries: [url] },
  );
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  render(
    <AppProviders queryClient={queryClient}>
      <RouterProvider router={router} />
    </AppProviders>,
  );
}

describe('AccountRoute', () => {
  it('shows the error a failed link came back with, above the linked identities', async () => {
    mockFetch({
      'GET /api/v1/me/identities': () => json({ identities: [] }),
      'GET /api/v1/auth/providers': () => json({ providers: [] }),
    });
    renderAccount(
      `/account?error=${encodeURIComponent('that identity is linked to another user')}`,
    );
    expect(screen.getByRole('alert')).toHaveTextContent('that identity is linked to another user');
    expect(screen.getByRole('heading', { name: 'Linked identities' })).toBeInTheDocument();
    expect(await screen.findByText('No identity is linked to this account.')).toBeInTheDocument();
  });

  it('links the account page and the API tokens under one set of tabs', () => {
    mockFetch({});
    renderAccount('/account/tokens');
    expect(screen.getByText('tokens page')).toBeInTheDocument();
    const tabs = screen.getByRole('navigation', { name: 'Account' });
    expect(tabs).toContainElement(screen.getByRole('link', { name: 'API tokens' }));
    expect(screen.getByRole('link', { name: 'API tokens' })).toHaveAttribute(
      'aria-current',
      'page',
    );
    expect(screen.getByRole('link', { name: 'Account' })).not.toHaveAttribute('aria-current');
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
  });
});
