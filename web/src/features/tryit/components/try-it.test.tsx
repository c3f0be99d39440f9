import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { json, mockFetch, text } from '@/testing/fetch-mock';
import { renderWithProviders } from '@/testing/render';
import { TryIt } from './try-it';

vi.mock('@/components/ui/code-editor', () => ({
  CodeEditor: ({ value, ariaLabel }: { value: string; ariaLabel: string }) => (
    <textarea aria-label={ariaLabel} value={value} readOnly />
  ),
}));

describe('TryIt', () => {
  it('prefills input.json, posts it to the service with CSRF and shows the answer', async () => {
    document.cookie = 'orsa_csrf=c1; path=/';
    const { calls } = mockFetch({
      'GET /api/v1/projects/alice/knap/files/input.json': () => text('{"capacity": 15}'),
      'POST /s/alice/knap/solve': () => json({ objective: 15, status: 'Optimal' }),
    });
    renderWithProviders(<TryIt owner="alice" name="knap" />);
    expect(await screen.findByLabelText('Request body (JSON)')).toHaveValue('{"capacity": 15}');
    await userEvent.setup().click(screen.getByRole('button', { name: 'Send' }));
    expect(await screen.findByTestId('solve-response')).toHaveTextContent('"objective": 15');
    expect(screen.getByTestId('solve-status')).toHaveTextContent('HTTP 200');
    const post = calls.find((c) => c.method === 'POST');
    expect(post?.body).toBe('{"capacity": 15}');
    expect(post?.headers['x-csrf-token']).toBe('c1');
  });

  it('shows an error answer of the service', async () => {
    mockFetch({
      'GET /api/v1/projects/alice/knap/files/input.json': () => text('{}'),
      'POST /s/alice/knap/solve': () => json({ error: "'items' must be a non-empty list" }, 422),
    });
    renderWithProviders(<TryIt owner="alice" name="knap" />);
    await screen.findByLabelText('Request body (JSON)');
    await userEvent.setup().click(screen.getByRole('button', { name: 'Send' }));
    expect(await screen.findByTestId('solve-status')).toHaveTextContent('HTTP 422');
    expect(screen.getByTestId('solve-response')).toHaveTextContent('non-empty list');
  });
});
