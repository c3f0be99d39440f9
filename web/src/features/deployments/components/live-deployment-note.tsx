import { Link } from 'react-router';
import { StatusBadge } from '@/components/ui/status-badge';
import { useDeployments } from '../api/get-deployments';

/** One line on what answers at the project's service URL (for Try it). */
export function LiveDeploymentNote({
  owner,
  name,
  deploymentHref,
}: {
  owner: string;
  name: string;
  deploymentHref: string;
}) {
  const deployments = useDeployments(`${owner}/${name}`);
  if (!deployments.data) return null;
  const live = deployments.data.find((d) => d.live);
  return (
    <p className="small text-secondary d-flex align-items-center gap-2" data-testid="live-note">
      {live ? (
        <>
          Answered by image <strong>{live.image_tag}</strong>
          <StatusBadge status={live.status} />
          <span>({live.visibility})</span>
        </>
      ) : (
        <>No deployment is live: deploy an image first.</>
      )}
      <Link to={deploymentHref}>Status and logs</Link>
    </p>
  );
}
