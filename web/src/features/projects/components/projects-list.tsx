import { useState, type ReactNode } from 'react';
import Button from 'react-bootstrap/Button';
import Table from 'react-bootstrap/Table';
import { Link, useNavigate } from 'react-router';
import { LoadMore } from '@/components/ui/load-more';
import { PageHeader } from '@/components/ui/page-header';
import { EmptyState, ErrorState, Loading } from '@/components/ui/states';
import { formatAge, shortSha } from '@/lib/format';
import type { Project } from '@/types/api';
import { useProjects } from '../api/get-projects';
import { CreateProjectModal } from './create-project-modal';
import { DeleteProjectButton } from './delete-project-button';

interface Props {
  /** Cells for the last build and deployment (composed by the app). */
  renderBuild?: (project: Project) => ReactNode;
  renderDeployment?: (project: Project) => ReactNode;
}

export function ProjectsList({ renderBuild, renderDeployment }: Props) {
  const projects = useProjects();
  const navigate = useNavigate();
  const [creating, setCreating] = useState(false);
  const newButton = <Button onClick={() => setCreating(true)}>New project</Button>;
  return (
    <>
      <PageHeader title="Projects" actions={newButton} />
      {projects.isLoading ? <Loading label="Loading projects…" /> : null}
      {projects.isError ? (
        <ErrorState error={projects.error} onRetry={() => void projects.refetch()} />
      ) : null}
      {projects.data && projects.data.length === 0 ? (
        <EmptyState title="No projects yet">
          Create one from the starter (a working knapsack model) or from an example.
        </EmptyState>
      ) : null}
      {projects.data && projects.data.length > 0 ? (
        <Table hover responsive className="align-middle projects-table">
          <thead>
            <tr>
              <th scope="col">Project</th>
              <th scope="col">Updated</th>
              <th scope="col">Last build</th>
              <th scope="col">Deployment</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {projects.data.map((p) => (
              <tr key={p.id}>
                <td>
                  <Link to={`/projects/${p.owner}/${p.name}`} className="fw-semibold">
                    {p.owner}/{p.name}
                  </Link>
                  <div className="small text-secondary">{p.template}</div>
                </td>
                <td className="small">
                  {p.head ? (
                    <>
                      <code>{shortSha(p.head.sha)}</code> {p.head.message.split('\n')[0]}
                      <div className="text-secondary">{formatAge(p.head.time)}</div>
                    </>
                  ) : (
                    formatAge(p.updated_at)
                  )}
                </td>
                <td>{renderBuild ? renderBuild(p) : null}</td>
                <td>{renderDeployment ? renderDeployment(p) : null}</td>
                <td className="text-end">
                  <DeleteProjectButton owner={p.owner} name={p.name} />
                </td>
              </tr>
            ))}
          </tbody>
        </Table>
      ) : null}
      <LoadMore query={projects} />
      <CreateProjectModal
        show={creating}
        onHide={() => setCreating(false)}
        onCreated={(p) => {
          setCreating(false);
          void navigate(`/projects/${p.owner}/${p.name}/code`);
        }}
      />
    </>
  );
}
