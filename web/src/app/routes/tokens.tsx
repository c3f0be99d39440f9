import { TokensPage } from '@/features/tokens';

export function TokensRoute() {
  return <TokensPage />;
}
