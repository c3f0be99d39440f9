import { useMutation } from '@tanstack/react-query';
import { apiJson } from '@/lib/api-client';
import type { GcReport } from '@/types/api';

/** Runs the collector (or only reports what it would remove). */
export function runGc(dryRun: boolean): Promise<GcReport> {
  return apiJson<GcReport>('/api/v1/admin/gc', { method: 'POST', json: { dry_run: dryRun } });
}

export function useRunGc() {
  return useMutation({ mutationFn: runGc });
}
