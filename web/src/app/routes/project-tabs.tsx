import { useNavigate, useParams } from 'react-router';
import { BuildLog, BuildsList } from '@/features/builds';
import { KeysPage, UsagePage } from '@/features/consumers';
import {
  DeployButton,
  LiveDeploymentNote,
  ProjectDeployments,
  useDeployments,
} from '@/features/deployments';
import { CommitHistory, EditorWorkspace } from '@/features/editor';
import { ImagesList } from '@/features/images';
import { TryIt } from '@/features/tryit';
import { useProjectParams } from './project-layout';

export function CodeRoute() {
  const { owner, name } = useProjectParams();
  return <EditorWorkspace key={`${owner}/${name}`} owner={owner} name={name} />;
}

export function HistoryRoute() {
  const { owner, name } = useProjectParams();
  return <CommitHistory owner={owner} name={name} />;
}

export function BuildsRoute() {
  const { owner, name } = useProjectParams();
  const base = `/projects/${owner}/${name}`;
  return (
    <BuildsList
      owner={owner}
      name={name}
      buildHref={(id) => `${base}/builds/${id}`}
      imagesHref={`${base}/images`}
    />
  );
}

export function BuildRoute() {
  const { owner, name } = useProjectParams();
  const { buildId = '' } = useParams();
  return <BuildLog key={buildId} id={buildId} imagesHref={`/projects/${owner}/${name}/images`} />;
}

export function ImagesRoute() {
  const { owner, name } = useProjectParams();
  const navigate = useNavigate();
  return (
    <ImagesList
      owner={owner}
      name={name}
      renderActions={(image) => (
        <DeployButton
          image={image}
          label={image.deployed ? 'Redeploy' : 'Deploy'}
          onDeployed={() => void navigate(`/projects/${owner}/${name}/deployment`)}
        />
      )}
    />
  );
}

export function DeploymentRoute() {
  const { owner, name } = useProjectParams();
  return <ProjectDeployments owner={owner} name={name} />;
}

export function TryRoute() {
  const { owner, name } = useProjectParams();
  return (
    <>
      <LiveDeploymentNote
        owner={owner}
        name={name}
        deploymentHref={`/projects/${owner}/${name}/deployment`}
      />
      <TryIt owner={owner} name={name} />
    </>
  );
}

/** Keys, with the live deployment's URL for the customer's command. */
export function KeysRoute() {
  const { owner, name } = useProjectParams();
  const deployments = useDeployments(`${owner}/${name}`);
  const live = deployments.data?.find((d) => d.live && d.url);
  return <KeysPage owner={owner} name={name} serviceUrl={live?.url ?? null} />;
}

export function UsageRoute() {
  const { owner, name } = useProjectParams();
  return <UsagePage owner={owner} name={name} />;
}
