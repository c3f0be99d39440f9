import { useQuery } from '@tanstack/react-query';
import { apiJson } from '@/lib/api-client';
import type { JsonResponse } from '@/lib/api/contract';
import { projectPath } from '@/lib/api/paths';

export type UsageReport = JsonResponse<'/api/v1/projects/{owner}/{name}/usage', 'get'>;

/** A period of the usage report: RFC 3339 dates, `to` exclusive. */
export interface UsagePeriod {
  from: string;
  to: string;
}

/** The usage URL per key and day over `period`, as JSON or as the CSV billing file. */
export function usageUrl(
  owner: string,
  name: string,
  period: UsagePeriod,
  format: 'json' | 'csv' = 'json',
): string {
  const query = new URLSearchParams({
    format,
    group_by: 'key,day',
    from: period.from,
    to: period.to,
  });
  return `${projectPath(owner, name)}/usage?${query.toString()}`;
}

export function getUsage(owner: string, name: string, period: UsagePeriod): Promise<UsageReport> {
  return apiJson<UsageReport>(usageUrl(owner, name, period));
}

/** The project's use per key and day; polled, the server includes counts not yet written. */
export function useUsage(owner: string, name: string, period: UsagePeriod) {
  return useQuery({
    queryKey: ['consumers', owner, name, 'usage', period.from, period.to],
    queryFn: () => getUsage(owner, name, period),
    refetchInterval: 15_000,
  });
}
