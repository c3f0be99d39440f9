export { useProject, projectKey } from './api/get-project';
export { projectsKey } from './api/get-projects';
export { ProjectsList } from './components/projects-list';
export { DeleteProjectButton } from './components/delete-project-button';
