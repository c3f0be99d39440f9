/** `/api/v1/projects/<owner>/<name>` with both parts encoded. */
export function projectPath(owner: string, name: string): string {
  return `/api/v1/projects/${encodeURIComponent(owner)}/${encodeURIComponent(name)}`;
}
