import { useOutletContext } from 'react-router';
import { NotFound } from '@/components/ui/not-found';
import { AdminPage } from '@/features/admin';
import type { User } from '@/types/api';

export function AdminRoute() {
  const user = useOutletContext<User>();
  if (user.role !== 'admin') return <NotFound />;
  return <AdminPage currentUserId={user.id} />;
}
