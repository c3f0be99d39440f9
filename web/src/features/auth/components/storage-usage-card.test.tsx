import { screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { json, mockFetch } from '@/testing/fetch-mock';
import { renderWithProviders } from '@/testing/render';
import { StorageUsageCard } from './storage-usage-card';

const MiB = 1024 * 1024;

describe('StorageUsageCard', () => {
  afterEach(() => {
    document.cookie = 'orsa_csrf=; path=/; max-age=0';
  });

  it('shows images and repositories against their quotas', async () => {
    document.cookie = 'orsa_csrf=abc; path=/';
    mockFetch({
      'GET /api/v1/me': () =>
        json({
          username: 'alice',
          usage: {
            registry_bytes: 3 * MiB,
            registry_quota_bytes: null,
            upload_bytes: 0,
            repository_bytes: 1900 * MiB,
            repository_quota_bytes: 2048 * MiB,
          },
        }),
    });
    renderWithProviders(<StorageUsageCard />);
    expect(await screen.findByTestId('usage-Repositories')).toHaveTextContent('of 2.0 GiB');
    expect(screen.getByTestId('usage-Images')).toHaveTextContent('(no quota)');
    expect(screen.getByLabelText('Repositories: 93% of the quota')).toBeInTheDocument();
  });
});
