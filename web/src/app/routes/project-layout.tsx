import Nav from 'react-bootstrap/Nav';
import { NavLink, Outlet, useNavigate, useParams } from 'react-router';
import { NotFound } from '@/components/ui/not-found';
import { PageHeader } from '@/components/ui/page-header';
import { ErrorState, Loading } from '@/components/ui/states';
import { ApiError } from '@/lib/api-client';
import { BuildButton } from '@/features/builds';
import { DeleteProjectButton, useProject } from '@/features/projects';

export interface ProjectParams {
  owner: string;
  name: string;
}

/** The owner and name from the URL (the route always has both). */
export function useProjectParams(): ProjectParams {
  const { owner = '', name = '' } = useParams();
  return { owner, name };
}

const TABS = [
  { to: 'code', label: 'Code' },
  { to: 'history', label: 'History' },
  { to: 'builds', label: 'Builds' },
  { to: 'images', label: 'Images' },
  { to: 'deployment', label: 'Deployment' },
  { to: 'try', label: 'Try it' },
  { to: 'runs', label: 'Runs' },
  { to: 'keys', label: 'Keys' },
  { to: 'usage', label: 'Usage' },
];

export function ProjectLayout() {
  const { owner, name } = useProjectParams();
  const project = useProject(owner, name);
  const navigate = useNavigate();
  if (project.isLoading) return <Loading label="Loading the project…" />;
  if (project.isError) {
    if (project.error instanceof ApiError && project.error.status === 404)
      return <NotFound what="project" />;
    return <ErrorState error={project.error} onRetry={() => void project.refetch()} />;
  }
  return (
    <>
      <PageHeader
        title={
          <>
            <span className="text-secondary fw-normal">{owner} / </span>
            {name}
          </>
        }
        actions={
          <>
            <BuildButton
              owner={owner}
              name={name}
              onStarted={(b) => void navigate(`/projects/${owner}/${name}/builds/${b.id}`)}
            />
            <DeleteProjectButton owner={owner} name={name} onDeleted={() => void navigate('/')} />
          </>
        }
      />
      <Nav variant="tabs" className="mb-3" as="nav" aria-label="Project">
        {TABS.map((t) => (
          <Nav.Item key={t.to}>
            <Nav.Link as={NavLink} to={t.to}>
              {t.label}
            </Nav.Link>
          </Nav.Item>
        ))}
      </Nav>
      <Outlet />
    </>
  );
}
