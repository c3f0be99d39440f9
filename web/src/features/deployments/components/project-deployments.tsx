import Alert from 'react-bootstrap/Alert';
import Badge from 'react-bootstrap/Badge';
import Table from 'react-bootstrap/Table';
import { EmptyState, ErrorState, Loading } from '@/components/ui/states';
import { StatusBadge } from '@/components/ui/status-badge';
import { formatAge } from '@/lib/format';
import type { Deployment } from '@/types/api';
import { isTransitional } from '../api/deployment-status';
import { useDeployments } from '../api/get-deployments';
import { DeleteDeploymentButton } from './delete-deployment-button';
import { DeploymentCard } from './deployment-card';

/**
 * The deployment shown in full: a rollout in progress (newest first), else
 * the live one, else the newest. The others are listed below it.
 */
export function pickMain(list: Deployment[]): Deployment | undefined {
  return list.find((d) => isTransitional(d.status)) ?? list.find((d) => d.live) ?? list[0];
}

/** The project's deployments: one in full (status, logs, charts), others listed. */
export function ProjectDeployments({ owner, name }: { owner: string; name: string }) {
  const deployments = useDeployments(`${owner}/${name}`);
  if (deployments.isLoading) return <Loading label="Loading deployments…" />;
  if (deployments.isError) return <ErrorState error={deployments.error} />;
  const list = [...(deployments.data ?? [])].sort((a, b) =>
    b.created_at.localeCompare(a.created_at),
  );
  const main = pickMain(list);
  if (!main)
    return (
      <EmptyState title="Not deployed">Deploy an image from the Images tab to serve it.</EmptyState>
    );
  const others = list.filter((d) => d.id !== main.id);
  const newest = list[0];
  return (
    <>
      {newest.id !== main.id && newest.status === 'failed' ? (
        <Alert variant="danger" className="py-2" data-testid="latest-failed">
          <strong>The latest deployment (image {newest.image_tag}) failed</strong>; image{' '}
          {main.image_tag} keeps serving. {newest.status_reason}
        </Alert>
      ) : null}
      <DeploymentCard key={main.id} id={main.id} />
      {others.length > 0 ? (
        <>
          <h2 className="h6 mt-4">Other deployments</h2>
          <Table size="sm" className="align-middle" aria-label="Other deployments">
            <tbody>
              {others.map((d) => (
                <tr key={d.id} data-deployment-id={d.id}>
                  <td className="text-nowrap">Image {d.image_tag}</td>
                  <td className="text-nowrap">
                    <StatusBadge status={d.status} />{' '}
                    {d.live ? <Badge bg="primary">live</Badge> : null}
                  </td>
                  <td className="small text-secondary text-nowrap">{formatAge(d.created_at)}</td>
                  <td className="small text-secondary">{d.status_reason}</td>
                  <td className="text-end">
                    <DeleteDeploymentButton deployment={d} />
                  </td>
                </tr>
              ))}
            </tbody>
          </Table>
        </>
      ) : null}
    </>
  );
}
