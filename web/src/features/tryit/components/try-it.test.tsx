import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { json, mockFetch, text } from '@/testing/fetch-mock';
import { deployment } from '@/testing/fixtures';
import { renderWithProviders } from '@/testing/render';
import { TryIt } from './try-it';

vi.mock('@/components/ui/code-editor', () => ({
  CodeEditor: ({ value, ariaLabel }: { value: string; ariaLabel: string }) => (
    <textarea aria-label={ariaLabel} value={value} readOnly />
  ),
}));

describe('TryIt', () => {
  const service = 'http://127.0.0.1:8081/alice/knap/';
  const deployments = (visibility: 'private' | 'public') => () =>
    json({ deployments: [deployment({ live: false, url: null }), deployment({ visibility })] });

  it('posts input.json to the service URL with a bearer token, never ORSA credentials', async () => {
    document.cookie = 'orsa_csrf=c1; path=/';
    const { calls } = mockFetch({
      'GET /api/v1/projects/alice/knap/files/input.json': () => text('{"capacity": 15}'),
      'GET /api/v1/deployments': deployments('private'),
      [`POST ${service}solve`]: () => json({ objective: 15, status: 'Optimal' }),
    });
    renderWithProviders(<TryIt owner="alice" name="knap" />);
    expect(await screen.findByLabelText('Request body (JSON)')).toHaveValue('{"capacity": 15}');
    expect(screen.getByTestId('solve-url')).toHaveTextContent(`POST ${service}solve`);
    const user = userEvent.setup();
    await user.type(screen.getByLabelText('API token'), 'orsa_tok');
    await user.click(screen.getByRole('button', { name: 'Send' }));
    expect(await screen.findByTestId('solve-response')).toHaveTextContent('"objective": 15');
    expect(screen.getByTestId('solve-status')).toHaveTextContent('HTTP 200');
    const post = calls.find((c) => c.method === 'POST');
    expect(post?.url).toBe(`${service}solve`);
    expect(post?.body).toBe('{"capacity": 15}');
    expect(post?.headers.authorization).toBe('Bearer orsa_tok');
    expect(post?.headers['x-csrf-token']).toBeUndefined();
    expect(post?.credentials).toBe('omit');
  });

  it('needs no token for a public service and cannot send without a live one', async () => {
    mockFetch({
      'GET /api/v1/projects/alice/knap/files/input.json': () => text('{}'),
      'GET /api/v1/deployments': () => json({ deployments: [deployment({ live: false })] }),
    });
    renderWithProviders(<TryIt owner="alice" name="knap" />);
    await screen.findByLabelText('Request body (JSON)');
    expect(screen.getByTestId('solve-url')).toHaveTextContent('no live deployment');
    expect(screen.getByRole('button', { name: 'Send' })).toBeDisabled();
    expect(screen.queryByLabelText('API token')).toBeNull();
  });

  it('shows an error answer of the service', async () => {
    mockFetch({
      'GET /api/v1/projects/alice/knap/files/input.json': () => text('{}'),
      'GET /api/v1/deployments': deployments('public'),
      [`POST ${service}solve`]: () => json({ error: "'items' must be a non-empty list" }, 422),
    });
    renderWithProviders(<TryIt owner="alice" name="knap" />);
    await screen.findByLabelText('Request body (JSON)');
    await userEvent.setup().click(screen.getByRole('button', { name: 'Send' }));
    expect(await screen.findByTestId('solve-status')).toHaveTextContent('HTTP 422');
    expect(screen.getByTestId('solve-response')).toHaveTextContent('non-empty list');
  });
});
