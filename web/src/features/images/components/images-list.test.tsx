import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { apiError, json, mockFetch } from '@/testing/fetch-mock';
import { image } from '@/testing/fixtures';
import { renderWithProviders } from '@/testing/render';
import { inUseMessage } from './delete-image-button';
import { ImagesList } from './images-list';

const running = image({
  id: 'img_2',
  tag: '2',
  reference: 'alice/knap:2',
  deployments: 1,
  deployed: true,
});
const stoppedOnly = image({ id: 'img_1', tag: '1', deployments: 2, deployed: false });
const unused = image({ id: 'img_0', tag: '0', reference: 'alice/knap:0' });

describe('ImagesList', () => {
  it('tells running, stopped and unused images apart', async () => {
    mockFetch({
      'GET /api/v1/projects/alice/knap/images': () =>
        json({ images: [running, stoppedOnly, unused] }),
    });
    renderWithProviders(<ImagesList owner="alice" name="knap" />);
    const row = (tag: string) =>
      within(document.querySelector(`tr[data-image-tag="${tag}"]`) as HTMLElement);
    expect(await screen.findByText('✓ deployed')).toBeInTheDocument();
    expect(row('2').getByText('✓ deployed')).toBeInTheDocument();
    expect(row('1').getByText('not running (2 deployments)')).toBeInTheDocument();
    expect(row('0').getByText('no')).toBeInTheDocument();
  });

  it('loads the next page from the cursor the server gave', async () => {
    const { calls } = mockFetch({
      'GET /api/v1/projects/alice/knap/images': (call) =>
        call.url.includes('cursor=')
          ? json({ images: [unused], next_cursor: null })
          : json({ images: [running, stoppedOnly], next_cursor: '17.img_1' }),
    });
    renderWithProviders(<ImagesList owner="alice" name="knap" />);
    await userEvent.click(await screen.findByRole('button', { name: 'Load more' }));
    expect(await screen.findByText('no')).toBeInTheDocument(); // img_0's row
    expect(document.querySelectorAll('tr[data-image-tag]')).toHaveLength(3);
    expect(calls.at(-1)?.url).toContain('cursor=17.img_1');
    expect(screen.queryByRole('button', { name: 'Load more' })).not.toBeInTheDocument();
  });

  it('warns before deleting an image deployments use, and shows the 409', async () => {
    mockFetch({
      'GET /api/v1/projects/alice/knap/images': () => json({ images: [running] }),
      'DELETE /api/v1/images/img_2': () =>
        apiError(409, 'conflict', 'image alice/knap:2 is used by 1 deployment'),
    });
    renderWithProviders(<ImagesList owner="alice" name="knap" />);
    const user = userEvent.setup();
    await user.click(await screen.findByRole('button', { name: 'Delete image 2' }));
    const dialog = screen.getByRole('dialog');
    expect(within(dialog).getByTestId('image-in-use')).toHaveTextContent(
      '1 deployment (including a running one) uses this image',
    );
    await user.click(within(dialog).getByRole('button', { name: 'Delete' }));
    await vi.waitFor(() =>
      expect(within(dialog).getByText('image alice/knap:2 is used by 1 deployment')).toBeVisible(),
    );
  });

  it('deletes an unused image without a warning', async () => {
    let images = [unused];
    const { calls } = mockFetch({
      'GET /api/v1/projects/alice/knap/images': () => json({ images }),
      'DELETE /api/v1/images/img_0': () => {
        images = [];
        return new Response(null, { status: 204 });
      },
    });
    renderWithProviders(<ImagesList owner="alice" name="knap" />);
    const user = userEvent.setup();
    await user.click(await screen.findByRole('button', { name: 'Delete image 0' }));
    expect(screen.queryByTestId('image-in-use')).toBeNull();
    await user.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Delete' }));
    expect(await screen.findByText('No images yet')).toBeInTheDocument();
    expect(calls.filter((c) => c.method === 'DELETE')).toHaveLength(1);
  });
});

describe('inUseMessage', () => {
  it('counts the deployments and says whether one runs', () => {
    expect(inUseMessage(stoppedOnly)).toMatch(/^2 deployments \(stopped or failed\) use this/);
  });
});
