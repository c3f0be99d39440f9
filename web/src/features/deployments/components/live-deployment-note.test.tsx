import { screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { json, mockFetch } from '@/testing/fetch-mock';
import { deployment } from '@/testing/fixtures';
import { renderWithProviders } from '@/testing/render';
import { LiveDeploymentNote } from './live-deployment-note';

describe('LiveDeploymentNote', () => {
  it('names the image the service URL answers with', async () => {
    const { calls } = mockFetch({
      'GET /api/v1/deployments': () =>
        json({
          deployments: [
            deployment({ id: 'dep_2', image_tag: '2', status: 'pulling', live: false }),
            deployment({ id: 'dep_1', image_tag: '1' }),
          ],
        }),
    });
    renderWithProviders(<LiveDeploymentNote owner="alice" name="knap" deploymentHref="/d" />);
    const note = await screen.findByTestId('live-note');
    expect(note).toHaveTextContent('Answered by image 1');
    expect(note).toHaveTextContent('healthy');
    expect(calls[0].url).toBe('/api/v1/deployments?project=alice%2Fknap');
  });

  it('says when nothing is live', async () => {
    mockFetch({ 'GET /api/v1/deployments': () => json({ deployments: [] }) });
    renderWithProviders(<LiveDeploymentNote owner="alice" name="knap" deploymentHref="/d" />);
    expect(await screen.findByTestId('live-note')).toHaveTextContent('No deployment is live');
  });
});
