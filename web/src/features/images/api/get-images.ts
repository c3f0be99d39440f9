import { useQuery } from '@tanstack/react-query';
import { apiJson } from '@/lib/api-client';
import type { JsonResponse } from '@/lib/api/contract';
import { projectPath } from '@/lib/api/paths';
import type { Image } from '@/types/api';

export const imagesKey = (owner: string, name: string) => ['images', owner, name] as const;

export async function getImages(owner: string, name: string): Promise<Image[]> {
  const body = await apiJson<JsonResponse<'/api/v1/projects/{owner}/{name}/images', 'get'>>(
    `${projectPath(owner, name)}/images`,
  );
  return body.images;
}

export function useImages(owner: string, name: string) {
  return useQuery({ queryKey: imagesKey(owner, name), queryFn: () => getImages(owner, name) });
}
