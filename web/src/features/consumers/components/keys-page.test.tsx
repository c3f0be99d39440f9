import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { json, mockFetch } from '@/testing/fetch-mock';
import { renderWithProviders } from '@/testing/render';
import type { ConsumerKey } from '@/types/api';
import { KeysPage } from './keys-page';

const KEYS = '/api/v1/projects/alice/knap/keys';

function key(over: Partial<ConsumerKey> = {}): ConsumerKey {
  return {
    id: 'ck_1',
    name: 'acme',
    prefix: 'orsa_ck_ab12',
    status: 'active',
    created_at: '2026-01-01T00:00:00Z',
    expires_at: null,
    revoked_at: null,
    rate_limit_per_min: null,
    monthly_quota_requests: null,
    monthly_quota_run_seconds: null,
    month: { requests: 0, run_seconds: 0 },
    ...over,
  };
}

function renderPage(serviceUrl: string | null = null) {
  return renderWithProviders(
    <KeysPage owner="alice" name="knap" serviceUrl={serviceUrl} apiOrigin="https://orsa.test" />,
  );
}

describe('KeysPage', () => {
  it('shows a new key once with a copy button, then only its prefix in the listing', async () => {
    const keys: ConsumerKey[] = [];
    const { calls } = mockFetch({
      [`GET ${KEYS}`]: () => json({ keys }),
      [`POST ${KEYS}`]: () => {
        const k = key({ rate_limit_per_min: 60, monthly_quota_requests: 1000 });
        keys.push(k);
        return json({ ...k, secret: 'orsa_ck_ab12s3cr3t' }, 201);
      },
    });
    renderPage();
    expect(await screen.findByText('No keys yet')).toBeInTheDocument();
    const user = userEvent.setup();
    await user.type(screen.getByLabelText('Name'), ' acme ');
    await user.type(screen.getByLabelText('Expires on'), '2099-12-31');
    await user.type(screen.getByLabelText('Rate limit per minute'), '60');
    await user.type(screen.getByLabelText('Monthly quota of requests'), '1000');
    await user.click(screen.getByRole('button', { name: 'Issue key' }));

    const secret = await screen.findByTestId('key-secret');
    expect(within(secret).getByText('orsa_ck_ab12s3cr3t')).toBeInTheDocument();
    expect(within(secret).getByText(/shown only this once/)).toBeInTheDocument();
    expect(within(secret).getByRole('button', { name: 'Copy' })).toBeInTheDocument();
    // Empty fields are left out: no quota of run seconds.
    expect(JSON.parse(calls.find((c) => c.method === 'POST')?.body ?? '')).toEqual({
      name: 'acme',
      expires_at: '2099-12-31',
      rate_limit_per_min: 60,
      monthly_quota_requests: 1000,
    });
    const table = await screen.findByRole('table', { name: 'Consumer keys' });
    expect(within(table).getByText('orsa_ck_ab12…')).toBeInTheDocument();
    expect(within(table).getByText('60 / min')).toBeInTheDocument();
    expect(screen.getByLabelText('Name')).toHaveValue('');

    await user.click(screen.getByRole('button', { name: 'Done' }));
    expect(screen.queryByText('orsa_ck_ab12s3cr3t')).not.toBeInTheDocument();
    expect(screen.queryByTestId('key-secret')).not.toBeInTheDocument();
    expect(within(table).getByRole('cell', { name: 'acme' })).toBeInTheDocument();
  });

  it('refuses a limit that is not a whole number and sends nothing', async () => {
    const { calls } = mockFetch({ [`GET ${KEYS}`]: () => json({ keys: [] }) });
    renderPage();
    const user = userEvent.setup();
    await user.type(screen.getByLabelText('Name'), 'acme');
    await user.type(screen.getByLabelText('Monthly quota of run seconds'), '1.5');
    await user.type(screen.getByLabelText('Rate limit per minute'), '0');
    await user.click(screen.getByRole('button', { name: 'Issue key' }));
    expect(screen.getByLabelText('Monthly quota of run seconds')).toBeInvalid();
    expect(screen.getByLabelText('Rate limit per minute')).toBeInvalid();
    expect(screen.getByLabelText('Monthly quota of requests')).toBeValid();
    expect(calls.filter((c) => c.method === 'POST')).toHaveLength(0);
  });

  it("shows the server's refusal and keeps the form", async () => {
    mockFetch({
      [`GET ${KEYS}`]: () => json({ keys: [] }),
      [`POST ${KEYS}`]: () =>
        json({ error: { code: 'conflict', message: 'at most 100 active keys' } }, 409),
    });
    renderPage();
    const user = userEvent.setup();
    await user.type(screen.getByLabelText('Name'), 'acme');
    await user.click(screen.getByRole('button', { name: 'Issue key' }));
    expect(await screen.findByText('at most 100 active keys')).toBeInTheDocument();
    expect(screen.getByLabelText('Name')).toHaveValue('acme');
    expect(screen.queryByTestId('key-secret')).not.toBeInTheDocument();
  });

  it('revokes a key after confirming; a revoked key has no revoke button', async () => {
    let current = key();
    const { calls } = mockFetch({
      [`GET ${KEYS}`]: () => json({ keys: [current] }),
      [`DELETE ${KEYS}/ck_1`]: () => {
        current = key({ status: 'revoked', revoked_at: '2026-01-02T00:00:00Z' });
        return json(current);
      },
    });
    renderPage();
    const user = userEvent.setup();
    await user.click(await screen.findByRole('button', { name: 'Revoke acme' }));
    const dialog = await screen.findByRole('dialog');
    expect(within(dialog).getByText('Revoke key acme?')).toBeInTheDocument();
    await user.click(within(dialog).getByRole('button', { name: 'Revoke' }));
    const row = screen.getByRole('row', { name: /acme/ });
    expect(await within(row).findByText('revoked')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Revoke acme' })).not.toBeInTheDocument();
    expect(calls.filter((c) => c.method === 'DELETE').map((c) => c.url)).toEqual([`${KEYS}/ck_1`]);
  });

  it("shows this month's use against the quotas as bars, and plain counts without one", async () => {
    mockFetch({
      [`GET ${KEYS}`]: () =>
        json({
          keys: [
            key({
              monthly_quota_requests: 1000,
              monthly_quota_run_seconds: 60,
              month: { requests: 250, run_seconds: 60 },
            }),
            key({ id: 'ck_2', name: 'free', month: { requests: 7, run_seconds: 0 } }),
          ],
        }),
    });
    renderPage();
    const acme = within(await screen.findByRole('row', { name: /acme/ }));
    expect(acme.getByText('250 requests of 1,000')).toBeInTheDocument();
    const requests = acme.getByRole('progressbar', { name: 'requests this month' });
    expect(requests).toHaveAttribute('aria-valuenow', '25');
    expect(requests).toHaveClass('bg-success');
    const seconds = acme.getByRole('progressbar', { name: 'run seconds this month' });
    expect(seconds).toHaveAttribute('aria-valuenow', '100');
    expect(seconds).toHaveClass('bg-danger');
    const free = within(screen.getByRole('row', { name: /free/ }));
    expect(free.queryByRole('progressbar')).not.toBeInTheDocument();
    expect(free.getByText(/7 requests/)).toBeInTheDocument();
  });

  it("gives the customer's commands for the live service and for runs", async () => {
    mockFetch({ [`GET ${KEYS}`]: () => json({ keys: [] }) });
    renderPage('http://127.0.0.1:8081/alice/knap/');
    const snippet = within(await screen.findByTestId('customer-snippet'));
    expect(
      snippet.getByText(/curl -X POST 'http:\/\/127\.0\.0\.1:8081\/alice\/knap\/solve'/),
    ).toBeInTheDocument();
    expect(
      snippet.getByText(
        /curl -X POST 'https:\/\/orsa\.test\/api\/v1\/projects\/alice\/knap\/runs'/,
      ),
    ).toBeInTheDocument();
    expect(snippet.getAllByText(/X-Api-Key: \$ORSA_KEY/)).toHaveLength(2);
  });

  it('says when no deployment is live instead of a service command', async () => {
    mockFetch({ [`GET ${KEYS}`]: () => json({ keys: [] }) });
    renderPage(null);
    const snippet = within(await screen.findByTestId('customer-snippet'));
    expect(snippet.getByText(/No deployment is live/)).toBeInTheDocument();
    expect(snippet.queryByText(/solve/)).not.toBeInTheDocument();
  });
});
