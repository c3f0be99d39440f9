import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { apiError, json, mockFetch } from '@/testing/fetch-mock';
import { renderWithProviders } from '@/testing/render';
import type { Example } from '@/types/api';
import { CreateProjectModal } from './create-project-modal';

const examples: Example[] = [
  { name: 'blend', title: 'Blend: Whiskas cat food', summary: 'The cheapest blend.' },
  {
    name: 'transportation',
    title: 'Transportation: beer distribution',
    summary: 'Ship crates of beer from two warehouses to five bars.',
  },
];

function setup(routes: Parameters<typeof mockFetch>[0] = {}) {
  const fetched = mockFetch({
    'GET /api/v1/templates': () => json({ templates: ['python-flask'] }),
    'GET /api/v1/examples': () => json({ examples }),
    'POST /api/v1/projects': (call) => {
      const body = JSON.parse(call.body ?? '{}') as { name: string };
      return json({ id: 'p1', name: body.name, owner: 'alice', template: 'python-flask' }, 201);
    },
    ...routes,
  });
  const onCreated = vi.fn();
  renderWithProviders(<CreateProjectModal show onHide={() => {}} onCreated={onCreated} />);
  return { ...fetched, onCreated, user: userEvent.setup() };
}

const posted = (calls: { method: string; body: string | undefined }[]) =>
  JSON.parse(calls.find((c) => c.method === 'POST')?.body ?? '') as unknown;

describe('CreateProjectModal', () => {
  it('starts from the starter by default, with the template', async () => {
    const { calls, onCreated, user } = setup();
    await user.type(screen.getByLabelText('Name'), 'knap');
    expect(screen.getByLabelText('Template')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Create project' }));
    await vi.waitFor(() => expect(onCreated).toHaveBeenCalled());
    expect(posted(calls)).toEqual({ name: 'knap', template: 'python-flask' });
  });

  it('starts from an example: sends its name, not a template, and shows its summary', async () => {
    const { calls, onCreated, user } = setup();
    await user.type(screen.getByLabelText('Name'), 'beer');
    await screen.findByRole('option', { name: 'Example: Transportation: beer distribution' });
    await user.selectOptions(screen.getByLabelText('Start from'), 'transportation');
    expect(screen.getByText(/two warehouses to five bars/)).toBeInTheDocument();
    expect(screen.queryByLabelText('Template')).not.toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Create project' }));
    await vi.waitFor(() => expect(onCreated).toHaveBeenCalled());
    expect(posted(calls)).toEqual({ name: 'beer', example: 'transportation' });
  });

  it('still offers the starter when the examples cannot be loaded', async () => {
    const { user } = setup({
      'GET /api/v1/examples': () => apiError(500, 'internal', 'boom'),
    });
    expect(await screen.findByText(/could not be loaded/)).toBeInTheDocument();
    const select = screen.getByLabelText('Start from');
    expect(select.querySelectorAll('option')).toHaveLength(1);
    await user.type(screen.getByLabelText('Name'), 'knap');
    expect(screen.getByRole('button', { name: 'Create project' })).toBeEnabled();
  });
});
