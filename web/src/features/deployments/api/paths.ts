export function deploymentPath(id: string): string {
  return `/api/v1/deployments/${encodeURIComponent(id)}`;
}
