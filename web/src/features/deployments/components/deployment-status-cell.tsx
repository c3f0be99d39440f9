import { StatusBadge } from '@/components/ui/status-badge';
import { useDeployments } from '../api/get-deployments';

/** A project's live deployment status for the projects list. */
export function DeploymentStatusCell({ owner, name }: { owner: string; name: string }) {
  // One list of all the caller's deployments serves every row.
  const deployments = useDeployments();
  if (deployments.isLoading) return <span className="text-secondary small">…</span>;
  if (deployments.isError) return <span className="text-secondary small">unknown</span>;
  const mine = (deployments.data ?? []).filter((d) => d.owner === owner && d.project === name);
  const d = mine.find((x) => x.live) ?? mine[0];
  if (!d) return <span className="text-secondary small">not deployed</span>;
  return <StatusBadge status={d.status} label={`${d.status} (image ${d.image_tag})`} />;
}
