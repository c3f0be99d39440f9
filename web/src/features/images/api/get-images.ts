import { useQuery } from '@tanstack/react-query';
import { apiJson } from '@/lib/api-client';
import type { Image } from '@/types/api';

export const imagesKey = (owner: string, name: string) => ['images', owner, name] as const;

export async function getImages(owner: string, name: string): Promise<Image[]> {
  const body = await apiJson<{ images: Image[] }>(
    `/api/v1/projects/${encodeURIComponent(owner)}/${encodeURIComponent(name)}/images`,
  );
  return body.images;
}

export function useImages(owner: string, name: string) {
  return useQuery({ queryKey: imagesKey(owner, name), queryFn: () => getImages(owner, name) });
}
