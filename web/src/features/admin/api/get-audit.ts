import { useQuery } from '@tanstack/react-query';
import { apiJson } from '@/lib/api-client';
import type { JsonResponse } from '@/lib/api/contract';
import type { AuditEvent } from '@/types/api';

export async function getAudit(limit = 100): Promise<AuditEvent[]> {
  const body = await apiJson<JsonResponse<'/api/v1/admin/audit', 'get'>>(
    `/api/v1/admin/audit?limit=${limit}`,
  );
  return body.events;
}

export function useAudit() {
  return useQuery({ queryKey: ['audit'], queryFn: () => getAudit() });
}
