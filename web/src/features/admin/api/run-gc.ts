import { useMutation } from '@tanstack/react-query';
import { apiJson } from '@/lib/api-client';
import type { JsonRequest, JsonResponse } from '@/lib/api/contract';
import type { GcReport } from '@/types/api';

/** Runs the collector (or only reports what it would remove). */
export function runGc(dryRun: boolean): Promise<GcReport> {
  const json: JsonRequest<'/api/v1/admin/gc', 'post'> = { dry_run: dryRun };
  return apiJson<JsonResponse<'/api/v1/admin/gc', 'post'>>('/api/v1/admin/gc', {
    method: 'POST',
    json,
  });
}

export function useRunGc() {
  return useMutation({ mutationFn: runGc });
}
