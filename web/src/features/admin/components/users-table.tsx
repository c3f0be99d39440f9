import Form from 'react-bootstrap/Form';
import Table from 'react-bootstrap/Table';
import { ErrorState, Loading } from '@/components/ui/states';
import { StatusBadge } from '@/components/ui/status-badge';
import { useToast } from '@/components/ui/toasts';
import { formatAge } from '@/lib/format';
import type { Role } from '@/types/api';
import { useUsers } from '../api/get-users';
import { useUpdateUser } from '../api/update-user';

const ROLES: Role[] = ['admin', 'developer', 'viewer'];

/**
 * Wide enough for the longest role plus the select's arrow and padding, so a
 * narrow table column cannot cut "developer" short.
 */
export const ROLE_SELECT_STYLE = {
  width: 'auto',
  minWidth: `calc(${Math.max(...ROLES.map((r) => r.length))}ch + 3rem)`,
} as const;

export function UsersTable({ currentUserId }: { currentUserId: string }) {
  const users = useUsers();
  const update = useUpdateUser();
  const toast = useToast();
  if (users.isLoading) return <Loading label="Loading users…" />;
  if (users.isError) return <ErrorState error={users.error} />;
  const onError = (e: unknown) => toast.notifyError(e, 'Could not update the user');
  return (
    <Table hover className="align-middle" aria-label="Users">
      <thead>
        <tr>
          <th scope="col">User</th>
          <th scope="col">Email</th>
          <th scope="col">Role</th>
          <th scope="col">State</th>
          <th scope="col">Joined</th>
        </tr>
      </thead>
      <tbody>
        {(users.data ?? []).map((u) => (
          <tr key={u.id}>
            <td className="fw-semibold">{u.username}</td>
            <td className="small">{u.email}</td>
            <td>
              <Form.Select
                size="sm"
                style={ROLE_SELECT_STYLE}
                aria-label={`Role of ${u.username}`}
                value={u.role}
                disabled={u.id === currentUserId || update.isPending}
                onChange={(e) =>
                  update.mutate({ id: u.id, role: e.target.value as Role }, { onError })
                }
              >
                {ROLES.map((r) => (
                  <option key={r} value={r}>
                    {r}
                  </option>
                ))}
              </Form.Select>
            </td>
            <td>
              <div className="d-flex align-items-center gap-2">
                <StatusBadge
                  status={u.disabled ? 'failed' : 'healthy'}
                  label={u.disabled ? 'disabled' : 'active'}
                />
                <Form.Check
                  type="switch"
                  id={`disable-${u.id}`}
                  label="Disabled"
                  checked={u.disabled}
                  disabled={u.id === currentUserId || update.isPending}
                  onChange={(e) =>
                    update.mutate({ id: u.id, disabled: e.target.checked }, { onError })
                  }
                />
              </div>
            </td>
            <td className="small">{formatAge(u.created_at)}</td>
          </tr>
        ))}
      </tbody>
    </Table>
  );
}
