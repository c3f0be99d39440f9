export { DeployButton } from './components/deploy-button';
export { ProjectDeployments } from './components/project-deployments';
export { DeploymentStatusCell } from './components/deployment-status-cell';
export { LiveDeploymentNote } from './components/live-deployment-note';
export { DeploymentsPage } from './components/deployments-page';
export { useDeployments } from './api/get-deployments';
