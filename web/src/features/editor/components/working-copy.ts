// The editor's unsaved state: edits, added and deleted files on top of one
// base commit. Pure functions, so the rules are unit-testable.
import type { FileChange } from '../api/save-commit';

export interface WorkingCopy {
  base: string | null;
  /** Contents at `base` of the files loaded so far. */
  originals: Record<string, string>;
  /** Current contents of edited or added files. */
  buffers: Record<string, string>;
  added: string[];
  deleted: string[];
}

export type WorkingCopyAction =
  | { type: 'reset'; base: string | null; originals?: Record<string, string> }
  | { type: 'loaded'; path: string; text: string }
  | { type: 'edit'; path: string; text: string }
  | { type: 'add'; path: string }
  | { type: 'delete'; path: string }
  | { type: 'rename'; from: string; to: string; text: string };

export const emptyWorkingCopy: WorkingCopy = {
  base: null,
  originals: {},
  buffers: {},
  added: [],
  deleted: [],
};

function without<T>(list: T[], item: T): T[] {
  return list.filter((x) => x !== item);
}

function omit(record: Record<string, string>, key: string): Record<string, string> {
  const copy = { ...record };
  delete copy[key];
  return copy;
}

export function workingCopyReducer(state: WorkingCopy, action: WorkingCopyAction): WorkingCopy {
  switch (action.type) {
    case 'reset':
      return { ...emptyWorkingCopy, base: action.base, originals: action.originals ?? {} };
    case 'loaded':
      return { ...state, originals: { ...state.originals, [action.path]: action.text } };
    case 'edit':
      return { ...state, buffers: { ...state.buffers, [action.path]: action.text } };
    case 'add': {
      // Re-adding a file deleted in this session restores it with empty content.
      return {
        ...state,
        added: state.deleted.includes(action.path) ? state.added : [...state.added, action.path],
        deleted: without(state.deleted, action.path),
        buffers: { ...state.buffers, [action.path]: '' },
      };
    }
    case 'delete': {
      if (state.added.includes(action.path)) {
        return {
          ...state,
          added: without(state.added, action.path),
          buffers: omit(state.buffers, action.path),
        };
      }
      return {
        ...state,
        deleted: [...state.deleted, action.path],
        buffers: omit(state.buffers, action.path),
      };
    }
    case 'rename': {
      const afterDelete = workingCopyReducer(state, { type: 'delete', path: action.from });
      const afterAdd = workingCopyReducer(afterDelete, { type: 'add', path: action.to });
      return { ...afterAdd, buffers: { ...afterAdd.buffers, [action.to]: action.text } };
    }
  }
}

/** Whether `path` differs from the base commit. */
export function isDirty(state: WorkingCopy, path: string): boolean {
  if (state.added.includes(path) || state.deleted.includes(path)) return true;
  const buffer = state.buffers[path];
  return buffer !== undefined && buffer !== state.originals[path];
}

/** The files shown in the tree: the base's, minus deletions, plus additions. */
export function visiblePaths(state: WorkingCopy, basePaths: string[]): string[] {
  const set = new Set(basePaths.filter((p) => !state.deleted.includes(p)));
  for (const p of state.added) set.add(p);
  return [...set].sort();
}

/** The changes of one commit, or an empty list when nothing changed. */
export function pendingChanges(state: WorkingCopy): FileChange[] {
  const changes: FileChange[] = [];
  for (const path of state.deleted) {
    if (!state.added.includes(path)) changes.push({ path, delete: true });
  }
  for (const path of state.added) changes.push({ path, content: state.buffers[path] ?? '' });
  for (const [path, text] of Object.entries(state.buffers)) {
    if (!state.added.includes(path) && text !== state.originals[path]) {
      changes.push({ path, content: text });
    }
  }
  return changes.sort((a, b) => a.path.localeCompare(b.path));
}

/** A default commit message naming what changed. */
export function defaultMessage(changes: FileChange[]): string {
  if (changes.length === 1) {
    const c = changes[0];
    return `${c.delete ? 'Delete' : 'Update'} ${c.path}`;
  }
  return `Update ${changes.length} files`;
}

/** Why a new path is not acceptable, or null. */
export function pathProblem(path: string, existing: string[]): string | null {
  if (!path.trim()) return 'Enter a file path.';
  if (path.startsWith('/') || path.endsWith('/')) return 'Use a relative path to a file.';
  if (path.split('/').some((part) => part === '' || part === '.' || part === '..'))
    return 'The path has an empty, "." or ".." part.';
  if (path.length > 255) return 'The path is longer than 255 characters.';
  if (existing.includes(path)) return `${path} already exists.`;
  return null;
}
