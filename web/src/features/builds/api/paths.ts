export function buildPath(id: string): string {
  return `/api/v1/builds/${encodeURIComponent(id)}`;
}
