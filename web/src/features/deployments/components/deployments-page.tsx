import Badge from 'react-bootstrap/Badge';
import Table from 'react-bootstrap/Table';
import { Link } from 'react-router';
import { PageHeader } from '@/components/ui/page-header';
import { EmptyState, ErrorState, Loading } from '@/components/ui/states';
import { StatusBadge } from '@/components/ui/status-badge';
import { formatAge } from '@/lib/format';
import type { Deployment } from '@/types/api';
import { useDeployments } from '../api/get-deployments';

/** Where the web app shows deployment `d`: its project's deployment tab, at its card. */
export function deploymentViewHref(d: Pick<Deployment, 'id' | 'owner' | 'project'>): string {
  return `/projects/${encodeURIComponent(d.owner)}/${encodeURIComponent(d.project)}/deployment#${deploymentAnchor(d.id)}`;
}

/** The element id of a deployment's card. */
export function deploymentAnchor(id: string): string {
  return `deployment-${id}`;
}

/**
 * Every deployment the caller may see, across projects: their own, or all
 * of them for an admin (the server decides).
 */
export function DeploymentsPage({ showOwner = false }: { showOwner?: boolean }) {
  const deployments = useDeployments();
  return (
    <>
      <PageHeader title="Deployments" />
      {deployments.isLoading ? <Loading label="Loading deployments…" /> : null}
      {deployments.isError ? <ErrorState error={deployments.error} /> : null}
      {deployments.data && deployments.data.length === 0 ? (
        <EmptyState title="No deployments yet">
          Build a project, then deploy one of its images from the Images tab.
        </EmptyState>
      ) : null}
      {deployments.data?.length ? (
        <Table hover responsive className="align-middle" aria-label="Deployments">
          <thead>
            <tr>
              <th scope="col">Status</th>
              <th scope="col">Project</th>
              <th scope="col">Image tag</th>
              <th scope="col">URL</th>
              <th scope="col">Updated</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {deployments.data.map((d) => (
              <tr key={d.id} data-deployment-id={d.id}>
                <td>
                  <StatusBadge status={d.status} />{' '}
                  {d.live ? <Badge bg="primary">live</Badge> : null}
                </td>
                <td>
                  <Link to={`/projects/${d.owner}/${d.project}`}>
                    {showOwner ? `${d.owner}/${d.project}` : d.project}
                  </Link>
                </td>
                <td>
                  <code>{d.image_tag}</code>
                </td>
                <td className="small text-break">
                  {d.url ? (
                    <a href={d.url} target="_blank" rel="noreferrer">
                      {d.url}
                    </a>
                  ) : (
                    <span className="text-secondary">—</span>
                  )}
                </td>
                <td className="small text-nowrap">{formatAge(d.updated_at)}</td>
                <td className="text-end">
                  <Link to={deploymentViewHref(d)} className="btn btn-sm btn-outline-primary">
                    View<span className="visually-hidden"> deployment {d.id}</span>
                  </Link>
                </td>
              </tr>
            ))}
          </tbody>
        </Table>
      ) : null}
    </>
  );
}
