export { MyRunsPage } from './components/my-runs-page';
export { ProjectRuns } from './components/project-runs';
export { RunDetail } from './components/run-detail';
export type { RunLinks } from './components/run-links';
