import { useInfiniteQuery } from '@tanstack/react-query';
import { apiJson } from '@/lib/api-client';
import type { JsonResponse } from '@/lib/api/contract';
import { projectPath } from '@/lib/api/paths';

export const imagesKey = (owner: string, name: string) => ['images', owner, name] as const;

type ImagePage = JsonResponse<'/api/v1/projects/{owner}/{name}/images', 'get'>;

/** One page of the project's images, newest first. */
export function getImages(owner: string, name: string, cursor: string | null = null) {
  const query = cursor ? `?${new URLSearchParams({ cursor }).toString()}` : '';
  return apiJson<ImagePage>(`${projectPath(owner, name)}/images${query}`);
}

/** The project's images, page after page ("Show more" follows next_cursor). */
export function useImages(owner: string, name: string) {
  return useInfiniteQuery({
    queryKey: imagesKey(owner, name),
    queryFn: ({ pageParam }) => getImages(owner, name, pageParam),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor,
    select: (data) => data.pages.flatMap((page) => page.images),
  });
}
