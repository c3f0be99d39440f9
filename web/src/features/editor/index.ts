export { EditorWorkspace } from './components/editor-workspace';
export { CommitHistory } from './components/commit-history';
