import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { json, mockFetch } from '@/testing/fetch-mock';
import { renderWithProviders } from '@/testing/render';
import type { ApiToken } from '@/types/api';
import { TokensPage } from './tokens-page';

describe('TokensPage', () => {
  it('shows a new secret once, then only the listing', async () => {
    const tokens: ApiToken[] = [];
    const { calls } = mockFetch({
      'GET /api/v1/tokens': () => json({ tokens }),
      'POST /api/v1/tokens': () => {
        const t = {
          id: 'tok_1',
          user_id: 'u1',
          name: 'ci',
          created_at: new Date().toISOString(),
          expires_at: null,
          last_used_at: null,
        };
        tokens.push(t);
        return json({ ...t, secret: 'orsa_s3cr3t' }, 201);
      },
    });
    renderWithProviders(<TokensPage />);
    expect(await screen.findByText('No API tokens')).toBeInTheDocument();
    const user = userEvent.setup();
    await user.type(screen.getByLabelText('Name'), 'ci');
    await user.selectOptions(screen.getByLabelText('Expires after'), '90');
    await user.click(screen.getByRole('button', { name: 'Create token' }));
    expect(await screen.findByText('orsa_s3cr3t')).toBeInTheDocument();
    expect(screen.getByText(/shown only this once/)).toBeInTheDocument();
    expect(JSON.parse(calls.find((c) => c.method === 'POST')?.body ?? '')).toEqual({
      name: 'ci',
      expires_in_days: 90,
    });
    expect(await screen.findByRole('cell', { name: 'ci' })).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Done' }));
    expect(screen.queryByText('orsa_s3cr3t')).not.toBeInTheDocument();
    expect(screen.getByRole('cell', { name: 'ci' })).toBeInTheDocument();
  });
});
