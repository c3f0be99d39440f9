import { LastBuildBadge } from '@/features/builds';
import { DeploymentStatusCell } from '@/features/deployments';
import { ProjectsList } from '@/features/projects';

export function ProjectsRoute() {
  return (
    <ProjectsList
      renderBuild={(p) => <LastBuildBadge owner={p.owner} name={p.name} />}
      renderDeployment={(p) => <DeploymentStatusCell owner={p.owner} name={p.name} />}
    />
  );
}
