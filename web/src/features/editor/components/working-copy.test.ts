import { describe, expect, it } from 'vitest';
import {
  emptyWorkingCopy,
  isDirty,
  pathProblem,
  pendingChanges,
  visiblePaths,
  workingCopyReducer as reduce,
  type WorkingCopy,
} from './working-copy';

const base: WorkingCopy = {
  ...emptyWorkingCopy,
  base: 'c1',
  originals: { 'model.py': 'x = 1\n', 'input.json': '{}' },
};

describe('working copy', () => {
  it('is clean until a file differs from the base', () => {
    let s = reduce(base, { type: 'edit', path: 'model.py', text: 'x = 1\n' });
    expect(isDirty(s, 'model.py')).toBe(false);
    expect(pendingChanges(s)).toEqual([]);
    s = reduce(s, { type: 'edit', path: 'model.py', text: 'x = 2\n' });
    expect(isDirty(s, 'model.py')).toBe(true);
    expect(pendingChanges(s)).toEqual([{ path: 'model.py', content: 'x = 2\n' }]);
  });

  it('turns a rename into a delete and an add with the content', () => {
    const s = reduce(base, { type: 'rename', from: 'input.json', to: 'data/in.json', text: '{}' });
    expect(visiblePaths(s, ['input.json', 'model.py'])).toEqual(['data/in.json', 'model.py']);
    expect(pendingChanges(s)).toEqual([
      { path: 'data/in.json', content: '{}' },
      { path: 'input.json', delete: true },
    ]);
  });

  it('forgets a file added then deleted', () => {
    let s = reduce(base, { type: 'add', path: 'notes.md' });
    s = reduce(s, { type: 'delete', path: 'notes.md' });
    expect(pendingChanges(s)).toEqual([]);
  });

  it('rejects bad paths', () => {
    expect(pathProblem('../x', [])).toMatch(/"\.\."/);
    expect(pathProblem('/abs', [])).toMatch(/relative/);
    expect(pathProblem('model.py', ['model.py'])).toMatch(/already exists/);
    expect(pathProblem('src/new.py', ['model.py'])).toBeNull();
  });
});
