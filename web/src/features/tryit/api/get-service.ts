import { useQuery } from '@tanstack/react-query';
import { apiJson } from '@/lib/api-client';
import type { Deployment } from '@/types/api';

/** Where the project's live deployment answers, on the services origin. */
export interface LiveService {
  url: string;
  visibility: Deployment['visibility'];
}

/** The live deployment's service URL, or null when none is live. */
export async function getLiveService(owner: string, name: string): Promise<LiveService | null> {
  const query = encodeURIComponent(`${owner}/${name}`);
  const body = await apiJson<{ deployments: Deployment[] }>(`/api/v1/deployments?project=${query}`);
  const live = body.deployments.find((d) => d.live && d.url);
  return live?.url ? { url: live.url, visibility: live.visibility } : null;
}

export function useLiveService(owner: string, name: string) {
  return useQuery({
    queryKey: ['tryit', owner, name, 'service'],
    queryFn: () => getLiveService(owner, name),
    refetchInterval: 10_000,
  });
}
