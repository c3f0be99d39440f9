import { useInfiniteQuery } from '@tanstack/react-query';
import { apiJson } from '@/lib/api-client';
import type { JsonResponse } from '@/lib/api/contract';

export const projectsKey = ['projects'] as const;

type ProjectPage = JsonResponse<'/api/v1/projects', 'get'>;

/** One page of the caller's projects, by owner then name. */
export function getProjects(cursor: string | null = null): Promise<ProjectPage> {
  const query = cursor ? `?${new URLSearchParams({ cursor }).toString()}` : '';
  return apiJson<ProjectPage>(`/api/v1/projects${query}`);
}

/** The caller's projects, page after page ("Show more" follows next_cursor). */
export function useProjects() {
  return useInfiniteQuery({
    queryKey: projectsKey,
    queryFn: ({ pageParam }) => getProjects(pageParam),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor,
    select: (data) => data.pages.flatMap((page) => page.projects),
  });
}
