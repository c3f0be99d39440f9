import { useQuery } from '@tanstack/react-query';
import { apiText, encodePath } from '@/lib/api-client';
import { projectPath } from '@/lib/api/paths';

/** A file's text at a commit. */
export function getFile(owner: string, name: string, path: string, ref: string): Promise<string> {
  return apiText(
    `${projectPath(owner, name)}/files/${encodePath(path)}?ref=${encodeURIComponent(ref)}`,
  );
}

export function useFile(owner: string, name: string, path: string | null, ref: string | null) {
  return useQuery({
    queryKey: ['file', owner, name, ref, path],
    queryFn: () => getFile(owner, name, path ?? '', ref ?? 'HEAD'),
    enabled: path !== null && ref !== null,
    staleTime: Infinity,
  });
}
