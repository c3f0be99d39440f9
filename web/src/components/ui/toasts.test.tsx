import { useEffect } from 'react';
import { act, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { renderWithProviders } from '@/testing/render';
import { useToast } from './toasts';

const holder: { api?: ReturnType<typeof useToast> } = {};
function Grab() {
  const api = useToast();
  useEffect(() => {
    holder.api = api;
  }, [api]);
  return null;
}
function toastApi(): ReturnType<typeof useToast> {
  if (!holder.api) throw new Error('not rendered');
  return holder.api;
}

describe('toasts', () => {
  it('replaces a keyed toast when its subject changes, leaving the others', () => {
    renderWithProviders(<Grab />);
    act(() => {
      toastApi().notify('info', 'Build #1 queued.', { key: 'build:b1' });
      toastApi().notify('success', 'Token saved.');
    });
    expect(screen.getByText('Build #1 queued.')).toBeInTheDocument();

    act(() => toastApi().update('build:b1', 'success', 'Build #1 succeeded.'));
    expect(screen.queryByText('Build #1 queued.')).not.toBeInTheDocument();
    expect(screen.getByText('Build #1 succeeded.')).toBeInTheDocument();
    expect(screen.getByText('Token saved.')).toBeInTheDocument();

    act(() => toastApi().notify('info', 'Build #1 again.', { key: 'build:b1' }));
    expect(screen.queryByText('Build #1 succeeded.')).not.toBeInTheDocument();
    expect(screen.getAllByText(/Build #1/)).toHaveLength(1);

    act(() => toastApi().dismiss('build:b1'));
    expect(screen.queryByText(/Build #1/)).not.toBeInTheDocument();
  });

  it('does not raise a toast when updating a key nobody shows', () => {
    renderWithProviders(<Grab />);
    act(() => toastApi().update('build:gone', 'success', 'Build #9 succeeded.'));
    expect(screen.queryByText('Build #9 succeeded.')).not.toBeInTheDocument();
  });
});
