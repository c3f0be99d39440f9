import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { apiError, json, mockFetch } from '@/testing/fetch-mock';
import { renderWithProviders } from '@/testing/render';
import { DeployForm, validateDeployForm } from './deploy-form';

describe('validateDeployForm', () => {
  it('accepts sane values and names each bad field', () => {
    expect(
      validateDeployForm({ memory: '512', cpus: '0.5', replicas: '', visibility: 'private' }),
    ).toEqual({});
    expect(
      validateDeployForm({ memory: '512', cpus: '0.5', replicas: '3', visibility: 'private' }),
    ).toEqual({});
    const bad = validateDeployForm({
      memory: '12.5',
      cpus: '0',
      replicas: '0',
      visibility: 'public',
    });
    expect(bad.memory).toMatch(/whole number of MB from 64/);
    expect(bad.cpus).toMatch(/from 0.1 to 16/);
    expect(bad.replicas).toMatch(/whole number from 1 to 16, or empty/);
    for (const replicas of ['1.5', '17', 'two'])
      expect(
        validateDeployForm({ memory: '512', cpus: '1', replicas, visibility: 'private' }).replicas,
      ).toBeDefined();
  });
});

describe('DeployForm', () => {
  it('does not post invalid values and shows why', async () => {
    const { calls } = mockFetch({});
    renderWithProviders(
      <DeployForm imageId="img_1" imageLabel="alice/knap:2" onDeployed={() => {}} />,
    );
    const user = userEvent.setup();
    await user.clear(screen.getByLabelText('Memory (MB)'));
    await user.type(screen.getByLabelText('Memory (MB)'), '10');
    await user.click(screen.getByRole('button', { name: 'Deploy' }));
    expect(screen.getByText(/Memory must be a whole number/)).toBeInTheDocument();
    expect(calls).toHaveLength(0);
    // The bad field says so to assistive technology, with its message; the good one does not.
    const memory = screen.getByLabelText('Memory (MB)');
    expect(memory).toHaveAttribute('aria-invalid', 'true');
    expect(memory).toHaveAccessibleDescription(/Memory must be a whole number/);
    expect(screen.getByLabelText('CPUs')).not.toHaveAttribute('aria-invalid');
    expect(screen.getByLabelText('CPUs')).not.toHaveAttribute('aria-describedby');
  });

  it('posts image, memory, CPUs and visibility', async () => {
    const { calls } = mockFetch({
      'POST /api/v1/deployments': () => json({ id: 'dep_1', status: 'pending' }, 202),
    });
    const onDeployed = vi.fn();
    renderWithProviders(
      <DeployForm imageId="img_1" imageLabel="alice/knap:2" onDeployed={onDeployed} />,
    );
    const user = userEvent.setup();
    await user.clear(screen.getByLabelText('CPUs'));
    await user.type(screen.getByLabelText('CPUs'), '0.5');
    await user.click(screen.getByLabelText(/Public/));
    await user.click(screen.getByRole('button', { name: 'Deploy' }));
    await vi.waitFor(() => expect(onDeployed).toHaveBeenCalled());
    // No replicas typed: the installation's default, so none are sent.
    expect(JSON.parse(calls[0].body ?? '')).toEqual({
      image_id: 'img_1',
      memory_mb: 512,
      cpus: 0.5,
      visibility: 'public',
    });
  });

  it('posts the replicas asked for', async () => {
    const { calls } = mockFetch({
      'POST /api/v1/deployments': () => json({ id: 'dep_1', status: 'pending' }, 202),
    });
    const onDeployed = vi.fn();
    renderWithProviders(
      <DeployForm imageId="img_1" imageLabel="alice/knap:2" onDeployed={onDeployed} />,
    );
    const user = userEvent.setup();
    await user.type(screen.getByLabelText('Replicas'), '3');
    await user.click(screen.getByRole('button', { name: 'Deploy' }));
    await vi.waitFor(() => expect(onDeployed).toHaveBeenCalled());
    expect(JSON.parse(calls[0].body ?? '')).toMatchObject({ image_id: 'img_1', replicas: 3 });
  });

  it("shows the server's refusal", async () => {
    mockFetch({
      'POST /api/v1/deployments': () => apiError(409, 'conflict', 'the image is being deleted'),
    });
    renderWithProviders(<DeployForm imageId="img_1" imageLabel="x" onDeployed={() => {}} />);
    await userEvent.setup().click(screen.getByRole('button', { name: 'Deploy' }));
    expect(await screen.findByText('the image is being deleted')).toBeInTheDocument();
  });
});
