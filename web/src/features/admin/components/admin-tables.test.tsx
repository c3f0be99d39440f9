import { screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { json, mockFetch } from '@/testing/fetch-mock';
import { renderWithProviders } from '@/testing/render';
import type { AuditEvent, User } from '@/types/api';
import { AuditLog } from './audit-log';
import { UsersTable } from './users-table';

const bob: User = {
  id: 'usr_bob',
  username: 'bob',
  email: 'bob@example.com',
  role: 'developer',
  disabled: false,
  created_at: '2026-01-01T00:00:00Z',
};

function event(over: Partial<AuditEvent>): AuditEvent {
  return {
    id: 'aud_1',
    at: '2026-01-01T00:00:00Z',
    actor_id: 'usr_bob',
    actor: 'bob',
    action: 'build_create',
    target: 'build:bld_1',
    ip: '127.0.0.1',
    detail: '',
    ...over,
  };
}

describe('admin tables', () => {
  it('sizes the role select to its longest role', async () => {
    mockFetch({ 'GET /api/v1/users': () => json({ users: [bob] }) });
    renderWithProviders(<UsersTable currentUserId="usr_admin" />);
    const select = await screen.findByRole('combobox', { name: 'Role of bob' });
    expect(select).toHaveValue('developer');
    expect(select.style.width).toBe('auto');
    // "developer" is the longest role: 9 characters plus room for the arrow.
    expect(select.style.minWidth).toBe('calc(9ch + 3rem)');
  });

  it('shows the username of the actor, the id of a deleted one, a dash for nobody', async () => {
    mockFetch({
      'GET /api/v1/admin/audit': () =>
        json({
          events: [
            event({}),
            event({ id: 'aud_2', actor_id: 'usr_gone', actor: null, action: 'login' }),
            event({ id: 'aud_3', actor_id: null, actor: null, action: 'login_failed' }),
          ],
        }),
    });
    renderWithProviders(<AuditLog />);
    const table = await screen.findByRole('table', { name: 'Audit log' });
    const rows = within(table).getAllByRole('row').slice(1);
    expect(within(rows[0]).getByText('bob')).toHaveAttribute('title', 'usr_bob');
    expect(within(rows[0]).queryByText('usr_bob')).not.toBeInTheDocument();
    expect(within(rows[1]).getByText('usr_gone')).toBeInTheDocument();
    expect(within(rows[2]).getByText('—')).toBeInTheDocument();
  });
});
