import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { json, mockFetch } from '@/testing/fetch-mock';
import { renderWithProviders } from '@/testing/render';
import type { ConsumerKey, UsageRow } from '@/types/api';
import { UsagePage } from './usage-page';

// uPlot draws on a canvas, which jsdom lacks; the chart's data is checked through its label.
vi.mock('uplot', () => ({
  default: Object.assign(
    class {
      setSize() {}
      destroy() {}
    },
    { paths: {} },
  ),
}));

const BASE = '/api/v1/projects/alice/knap';

function row(over: Partial<UsageRow>): UsageRow {
  return {
    requests: 0,
    requests_by_class: { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 },
    refused: 0,
    bytes_in: 0,
    bytes_out: 0,
    runs: 0,
    run_seconds: 0,
    run_cpu_seconds: 0,
    ...over,
  };
}

const acmeKey: ConsumerKey = {
  id: 'ck_1',
  name: 'acme',
  prefix: 'orsa_ck_ab12',
  status: 'active',
  created_at: '2026-03-01T00:00:00Z',
  expires_at: null,
  revoked_at: null,
  rate_limit_per_min: null,
  monthly_quota_requests: 10_000,
  monthly_quota_run_seconds: null,
  month: { requests: 8, run_seconds: 3.75 },
};

const rows: UsageRow[] = [
  row({
    key_id: 'ck_1',
    key_name: 'acme',
    day: '2026-03-01',
    requests: 3,
    requests_by_class: { '1xx': 0, '2xx': 2, '3xx': 0, '4xx': 1, '5xx': 0 },
    bytes_in: 1024,
    bytes_out: 2048,
    runs: 1,
    run_seconds: 1.5,
    run_cpu_seconds: 1.25,
  }),
  row({
    key_id: 'ck_1',
    key_name: 'acme',
    day: '2026-03-02',
    requests: 5,
    requests_by_class: { '1xx': 0, '2xx': 4, '3xx': 0, '4xx': 0, '5xx': 1 },
    refused: 2,
    bytes_in: 1024,
    bytes_out: 1024,
    runs: 2,
    run_seconds: 2.25,
  }),
  row({
    key_id: null,
    key_name: null,
    day: '2026-03-02',
    requests: 4,
    requests_by_class: { '1xx': 0, '2xx': 4, '3xx': 0, '4xx': 0, '5xx': 0 },
  }),
];

function cells(rowElement: HTMLElement): string[] {
  return within(rowElement)
    .getAllByRole('cell')
    .map((c) => c.textContent ?? '');
}

describe('UsagePage', () => {
  it('sums each key over the period, names calls without a key, and totals them', async () => {
    const { calls } = mockFetch({
      [`GET ${BASE}/usage`]: () =>
        json({ from: '2026-03-01T00:00:00Z', to: '2026-04-01T00:00:00Z', rows }),
      [`GET ${BASE}/keys`]: () => json({ keys: [acmeKey] }),
    });
    renderWithProviders(
      <UsagePage owner="alice" name="knap" now={new Date('2026-03-15T10:00:00Z')} />,
    );
    const table = await screen.findByRole('table', { name: 'Usage per key' });
    const acme = within(table).getByRole('row', { name: /^acme/ });
    expect(cells(acme)).toEqual([
      '8',
      '6',
      '1',
      '1',
      '2',
      '2.0 KiB',
      '3.0 KiB',
      '3',
      '3.8 s',
      '1.3 s',
      '8 of 10,000 requests',
    ]);
    const keyless = within(table).getByRole('row', { name: /Without a key/ });
    expect(cells(keyless).slice(0, 5)).toEqual(['4', '4', '0', '0', '0']);
    const total = within(table).getByRole('row', { name: /^Total/ });
    expect(cells(total).slice(0, 5)).toEqual(['12', '10', '1', '1', '2']);
    expect(screen.getByRole('img', { name: 'acme: 8 requests over 31 days' })).toBeInTheDocument();
    expect(
      screen.getByRole('img', {
        name: 'Without a key (you and signed-in users): 4 requests over 31 days',
      }),
    ).toBeInTheDocument();
    const asked = new URL(calls.find((c) => c.url.includes('/usage'))?.url ?? '', 'http://x');
    expect(Object.fromEntries(asked.searchParams)).toEqual({
      format: 'json',
      group_by: 'key,day',
      from: '2026-03-01',
      to: '2026-04-01',
    });
  });

  it('links the CSV of the chosen period and asks for that period', async () => {
    const { calls } = mockFetch({
      [`GET ${BASE}/usage`]: () => json({ from: '', to: '', rows: [] }),
      [`GET ${BASE}/keys`]: () => json({ keys: [] }),
    });
    renderWithProviders(
      <UsagePage owner="alice" name="knap" now={new Date('2026-01-20T10:00:00Z')} />,
    );
    expect(await screen.findByText('No use in this period')).toBeInTheDocument();
    const link = screen.getByRole('link', { name: 'Download CSV' });
    expect(link).toHaveAttribute(
      'href',
      `${BASE}/usage?format=csv&group_by=key%2Cday&from=2026-01-01&to=2026-02-01`,
    );
    expect(link).toHaveAttribute('download');

    const user = userEvent.setup();
    await user.selectOptions(screen.getByLabelText('Period'), 'last-month');
    expect(screen.getByRole('link', { name: 'Download CSV' })).toHaveAttribute(
      'href',
      `${BASE}/usage?format=csv&group_by=key%2Cday&from=2025-12-01&to=2026-01-01`,
    );
    expect(screen.getByTestId('usage-range')).toHaveTextContent('2025-12-01 to 2025-12-31 (UTC)');
    await screen.findByText('No use in this period');
    expect(calls.some((c) => c.url.includes('from=2025-12-01&to=2026-01-01'))).toBe(true);

    await user.selectOptions(screen.getByLabelText('Period'), 'last-30-days');
    expect(screen.getByRole('link', { name: 'Download CSV' })).toHaveAttribute(
      'href',
      `${BASE}/usage?format=csv&group_by=key%2Cday&from=2025-12-22&to=2026-01-21`,
    );
  });
});
