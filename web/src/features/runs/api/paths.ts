export function runPath(id: string): string {
  return `/api/v1/runs/${encodeURIComponent(id)}`;
}
