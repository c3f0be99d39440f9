import Table from 'react-bootstrap/Table';
import { EmptyState, ErrorState, Loading } from '@/components/ui/states';
import { StatusBadge } from '@/components/ui/status-badge';
import { formatAge } from '@/lib/format';
import { useDeployments } from '../api/get-deployments';
import { DeploymentCard } from './deployment-card';

/** The project's deployments: the live (or newest) one in full, others listed. */
export function ProjectDeployments({ owner, name }: { owner: string; name: string }) {
  const deployments = useDeployments(`${owner}/${name}`);
  if (deployments.isLoading) return <Loading label="Loading deployments…" />;
  if (deployments.isError) return <ErrorState error={deployments.error} />;
  const list = [...(deployments.data ?? [])].sort((a, b) =>
    b.created_at.localeCompare(a.created_at),
  );
  if (list.length === 0)
    return (
      <EmptyState title="Not deployed">Deploy an image from the Images tab to serve it.</EmptyState>
    );
  const main = list.find((d) => d.live) ?? list[0];
  const others = list.filter((d) => d.id !== main.id);
  return (
    <>
      <DeploymentCard id={main.id} />
      {others.length > 0 ? (
        <>
          <h2 className="h6 mt-4">Other deployments</h2>
          <Table size="sm" className="align-middle">
            <tbody>
              {others.map((d) => (
                <tr key={d.id}>
                  <td>Image {d.image_tag}</td>
                  <td>
                    <StatusBadge status={d.status} />
                  </td>
                  <td className="small text-secondary">{formatAge(d.created_at)}</td>
                  <td className="small text-secondary">{d.status_reason}</td>
                </tr>
              ))}
            </tbody>
          </Table>
        </>
      ) : null}
    </>
  );
}
