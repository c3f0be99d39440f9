import { screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { json, mockFetch } from '@/testing/fetch-mock';
import { renderWithProviders } from '@/testing/render';
import { CommitHistory } from './commit-history';

const commit = (sha: string, message: string) => ({
  sha,
  message,
  author: { name: 'Alice', email: 'alice@example.org' },
  time: '2026-01-01T00:00:00Z',
  parents: [],
});

describe('CommitHistory', () => {
  it('opens the commit a link names (?commit=)', async () => {
    const older = commit('b'.repeat(40), 'Older change');
    mockFetch({
      'GET /api/v1/projects/alice/knap/commits': () =>
        json({ commits: [commit('a'.repeat(40), 'Newest'), older] }),
      [`GET /api/v1/projects/alice/knap/commits/${older.sha}`]: () =>
        json({ commit: older, files: [], truncated: false }),
    });
    renderWithProviders(<CommitHistory owner="alice" name="knap" />, {
      route: `/projects/alice/knap/history?commit=${older.sha}`,
    });
    expect(
      await screen.findByRole('heading', { name: 'bbbbbbb Older change' }),
    ).toBeInTheDocument();
    expect(screen.getByRole('button', { name: /bbbbbbb/ })).toHaveClass('active');
  });
});
