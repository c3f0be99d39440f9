import { screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { deployment } from '@/testing/fixtures';
import { json, mockFetch } from '@/testing/fetch-mock';
import { renderWithProviders } from '@/testing/render';
import { DeploymentsPage } from './deployments-page';

describe('DeploymentsPage', () => {
  it('lists every deployment with status, project, tag, URL and a link to its view', async () => {
    const { calls } = mockFetch({
      'GET /api/v1/deployments': () =>
        json({
          deployments: [
            deployment(),
            deployment({
              id: 'dep_2',
              owner: 'bob',
              project: 'blend',
              image_tag: '7',
              status: 'failed',
              live: false,
              url: null,
            }),
          ],
        }),
    });
    renderWithProviders(<DeploymentsPage showOwner />);
    const table = await screen.findByRole('table', { name: 'Deployments' });
    expect(calls[0].url).toBe('/api/v1/deployments');
    const [first, second] = within(table).getAllByRole('row').slice(1);

    expect(within(first).getByText('healthy')).toBeInTheDocument();
    expect(within(first).getByText('live')).toBeInTheDocument();
    expect(within(first).getByRole('link', { name: 'alice/knap' })).toHaveAttribute(
      'href',
      '/projects/alice/knap',
    );
    expect(within(first).getByText('1')).toBeInTheDocument();
    expect(
      within(first).getByRole('link', { name: 'http://127.0.0.1:8081/alice/knap/' }),
    ).toHaveAttribute('href', 'http://127.0.0.1:8081/alice/knap/');
    expect(within(first).getByRole('link', { name: /View/ })).toHaveAttribute(
      'href',
      '/projects/alice/knap/deployment#deployment-dep_1',
    );

    expect(within(second).getByText('failed')).toBeInTheDocument();
    expect(within(second).getByRole('link', { name: 'bob/blend' })).toBeInTheDocument();
    expect(within(second).getByText('7')).toBeInTheDocument();
    expect(within(second).getByText('—')).toBeInTheDocument();
  });

  it('names only the project when all are the caller own, and says when there are none', async () => {
    mockFetch({ 'GET /api/v1/deployments': () => json({ deployments: [deployment()] }) });
    const { unmount } = renderWithProviders(<DeploymentsPage />);
    expect(await screen.findByRole('link', { name: 'knap' })).toBeInTheDocument();
    unmount();

    mockFetch({ 'GET /api/v1/deployments': () => json({ deployments: [] }) });
    renderWithProviders(<DeploymentsPage />);
    expect(await screen.findByText('No deployments yet')).toBeInTheDocument();
  });
});
