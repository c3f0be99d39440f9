import { useQuery } from '@tanstack/react-query';
import { ApiError, apiText } from '@/lib/api-client';
import { projectPath } from '@/lib/api/paths';

/** The project's `input.json` at head, or null when it has none. */
export async function getInputJson(owner: string, name: string): Promise<string | null> {
  try {
    return await apiText(`${projectPath(owner, name)}/files/input.json`);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return null;
    throw e;
  }
}

export function useInputJson(owner: string, name: string) {
  return useQuery({
    queryKey: ['run-input', owner, name],
    queryFn: () => getInputJson(owner, name),
    staleTime: 0,
  });
}
