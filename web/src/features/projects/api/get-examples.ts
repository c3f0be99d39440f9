import { useQuery } from '@tanstack/react-query';
import { apiJson } from '@/lib/api-client';
import type { JsonResponse } from '@/lib/api/contract';
import type { Example } from '@/types/api';

export async function getExamples(): Promise<Example[]> {
  const body = await apiJson<JsonResponse<'/api/v1/examples', 'get'>>('/api/v1/examples');
  return body.examples;
}

export function useExamples() {
  return useQuery({ queryKey: ['examples'], queryFn: getExamples, staleTime: 300_000 });
}
