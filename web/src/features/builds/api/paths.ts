export function projectPath(owner: string, name: string): string {
  return `/api/v1/projects/${encodeURIComponent(owner)}/${encodeURIComponent(name)}`;
}

export function buildPath(id: string): string {
  return `/api/v1/builds/${encodeURIComponent(id)}`;
}
