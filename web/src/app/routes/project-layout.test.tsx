import { QueryClient } from '@tanstack/react-query';
import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { createMemoryRouter, RouterProvider } from 'react-router';
import { describe, expect, it } from 'vitest';
import { AppProviders } from '@/app/providers';
import { json, mockFetch } from '@/testing/fetch-mock';
import { ProjectLayout } from './project-layout';

describe('ProjectLayout', () => {
  it('marks only the open tab as current, Keys and Usage included', async () => {
    mockFetch({
      'GET /api/v1/projects/alice/knap': () =>
        json({ id: 'prj_1', owner: 'alice', name: 'knap', template: 'python-flask' }),
    });
    const router = createMemoryRouter(
      [
        {
          path: '/projects/:owner/:name',
          element: <ProjectLayout />,
          children: [
            { path: 'keys', element: <p>keys page</p> },
            { path: 'usage', element: <p>usage page</p> },
          ],
        },
      ],
      { initialEntries: ['/projects/alice/knap/keys'] },
    );
    const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } });
    render(
      <AppProviders queryClient={queryClient}>
        <RouterProvider router={router} />
      </AppProviders>,
    );
    const tabs = await screen.findByRole('navigation', { name: 'Project' });
    const keys = screen.getByRole('link', { name: 'Keys' });
    const usage = screen.getByRole('link', { name: 'Usage' });
    expect(tabs).toContainElement(keys);
    expect(keys).toHaveAttribute('aria-current', 'page');
    await userEvent.setup().click(usage);
    expect(await screen.findByText('usage page')).toBeInTheDocument();
    expect(usage).toHaveAttribute('aria-current', 'page');
    expect(keys).not.toHaveAttribute('aria-current');
    expect(keys).not.toHaveClass('active');
  });
});
