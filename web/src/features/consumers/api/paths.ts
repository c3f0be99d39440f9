import { projectPath } from '@/lib/api/paths';

/** `/api/v1/projects/<owner>/<name>/keys`. */
export function keysPath(owner: string, name: string): string {
  return `${projectPath(owner, name)}/keys`;
}

/** The query key of a project's consumer keys (the usage page reads it too). */
export const consumerKeysKey = (owner: string, name: string) =>
  ['consumers', owner, name, 'keys'] as const;
