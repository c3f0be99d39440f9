import { useNavigate, useParams } from 'react-router';
import { useImages } from '@/features/images';
import { MyRunsPage, ProjectRuns, RunDetail, type RunLinks } from '@/features/runs';
import { useProjectParams } from './project-layout';

const projectBase = (run: { owner: string; name: string }) =>
  `/projects/${encodeURIComponent(run.owner)}/${encodeURIComponent(run.name)}`;

/** Where a run's pieces are shown: its page, the commit in History, the build, the images. */
export const runLinks: RunLinks = {
  run: (run) => `${projectBase(run)}/runs/${encodeURIComponent(run.id)}`,
  project: (run) => `${projectBase(run)}/runs`,
  commit: (run) => `${projectBase(run)}/history?commit=${encodeURIComponent(run.trace.commit)}`,
  build: (run) => `${projectBase(run)}/builds/${encodeURIComponent(run.trace.build_id)}`,
  images: (run) => `${projectBase(run)}/images`,
  deployment: (run) => `${projectBase(run)}/deployment`,
};

export function RunsRoute() {
  const { owner, name } = useProjectParams();
  const images = useImages(owner, name);
  const navigate = useNavigate();
  return (
    <ProjectRuns
      owner={owner}
      name={name}
      images={images.data}
      links={runLinks}
      onSubmitted={(run) => void navigate(runLinks.run(run))}
    />
  );
}

export function RunRoute() {
  const { runId = '' } = useParams();
  return <RunDetail key={runId} id={runId} links={runLinks} />;
}

export function MyRunsRoute() {
  return <MyRunsPage links={runLinks} />;
}
