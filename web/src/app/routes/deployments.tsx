import { useOutletContext } from 'react-router';
import { DeploymentsPage } from '@/features/deployments';
import type { User } from '@/types/api';

export function DeploymentsRoute() {
  const user = useOutletContext<User>();
  // An admin sees everyone's deployments: the owner tells them apart.
  return <DeploymentsPage showOwner={user.role === 'admin'} />;
}
