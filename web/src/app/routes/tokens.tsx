import { ChangePasswordCard, StorageUsageCard } from '@/features/auth';
import { TokensPage } from '@/features/tokens';

export function TokensRoute() {
  return (
    <>
      <TokensPage />
      <ChangePasswordCard />
      <StorageUsageCard />
    </>
  );
}
