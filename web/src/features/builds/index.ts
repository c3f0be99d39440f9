export { BuildButton } from './components/build-button';
export { BuildLog } from './components/build-log';
export { BuildsList } from './components/builds-list';
export { LastBuildBadge } from './components/last-build-badge';
