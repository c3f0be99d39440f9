import { useQuery } from '@tanstack/react-query';
import { apiJson } from '@/lib/api-client';
import type { JsonResponse } from '@/lib/api/contract';

export async function getTemplates(): Promise<string[]> {
  const body = await apiJson<JsonResponse<'/api/v1/templates', 'get'>>('/api/v1/templates');
  return body.templates;
}

export function useTemplates() {
  return useQuery({ queryKey: ['templates'], queryFn: getTemplates, staleTime: 300_000 });
}
