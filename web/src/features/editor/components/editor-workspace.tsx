import { useCallback, useEffect, useReducer, useState } from 'react';
import Alert from 'react-bootstrap/Alert';
import Badge from 'react-bootstrap/Badge';
import Button from 'react-bootstrap/Button';
import ButtonGroup from 'react-bootstrap/ButtonGroup';
import Col from 'react-bootstrap/Col';
import Form from 'react-bootstrap/Form';
import Row from 'react-bootstrap/Row';
import { useQueryClient } from '@tanstack/react-query';
import { CodeEditor, languageForPath } from '@/components/ui/code-editor';
import { ErrorState, Loading } from '@/components/ui/states';
import { useToast } from '@/components/ui/toasts';
import { ApiError } from '@/lib/api-client';
import { shortSha } from '@/lib/format';
import { useLatest } from '@/lib/use-latest';
import { getFile, useFile } from '../api/get-file';
import { filesKey, useFiles } from '../api/get-files';
import { useSaveCommit } from '../api/save-commit';
import { FileTree } from './file-tree';
import { PathModal } from './path-modal';
import {
  defaultMessage,
  emptyWorkingCopy,
  isDirty,
  pendingChanges,
  visiblePaths,
  workingCopyReducer,
} from './working-copy';

type Dialog = { kind: 'add' } | { kind: 'rename'; path: string } | null;

/** File tree, code editor and save-as-commit for one project. */
export function EditorWorkspace({ owner, name }: { owner: string; name: string }) {
  const files = useFiles(owner, name);
  const [state, dispatch] = useReducer(workingCopyReducer, emptyWorkingCopy);
  const [chosen, setSelected] = useState<string | null>(null);
  const [message, setMessage] = useState('');
  const [conflict, setConflict] = useState<string | null>(null);
  const [dialog, setDialog] = useState<Dialog>(null);
  const save = useSaveCommit();
  const toast = useToast();
  const queryClient = useQueryClient();

  const basePaths = files.data?.files.map((f) => f.path) ?? [];
  const paths = visiblePaths(state, basePaths);
  const changes = pendingChanges(state);
  const dirty = changes.length > 0;

  // Adopt the head once loaded (and after a reload).
  useEffect(() => {
    if (files.data && state.base === null) dispatch({ type: 'reset', base: files.data.commit });
  }, [files.data, state.base]);

  // Until the user picks a file (and after the picked one is gone), model.py
  // or else the first file is open.
  const selected = chosen ?? (paths.includes('model.py') ? 'model.py' : (paths[0] ?? null));

  const selectedIsAdded = selected !== null && state.added.includes(selected);
  const content = useFile(owner, name, selectedIsAdded ? null : selected, state.base);
  useEffect(() => {
    if (selected && content.data !== undefined && state.originals[selected] === undefined) {
      dispatch({ type: 'loaded', path: selected, text: content.data });
    }
  }, [selected, content.data, state.originals]);

  // Warn before leaving the page with unsaved edits.
  useEffect(() => {
    if (!dirty) return;
    const handler = (e: BeforeUnloadEvent) => e.preventDefault();
    window.addEventListener('beforeunload', handler);
    return () => window.removeEventListener('beforeunload', handler);
  }, [dirty]);

  const doSave = useCallback(() => {
    if (!state.base || save.isPending) return;
    if (changes.length === 0) {
      toast.notify('info', 'Nothing to save.');
      return;
    }
    const commitMessage = message.trim() || defaultMessage(changes);
    save.mutate(
      { owner, name, base: state.base, message: commitMessage, changes },
      {
        onSuccess: (commit) => {
          const saved: Record<string, string> = { ...state.originals };
          for (const c of changes) {
            if (c.delete) delete saved[c.path];
            else saved[c.path] = c.content ?? '';
          }
          dispatch({ type: 'reset', base: commit.sha, originals: saved });
          setMessage('');
          setConflict(null);
          toast.notify('success', `Saved as commit ${shortSha(commit.sha)}.`);
        },
        onError: (error) => {
          if (error instanceof ApiError && error.status === 409) {
            setConflict(error.currentHead ?? 'unknown');
          } else {
            toast.notifyError(error, 'Save failed');
          }
        },
      },
    );
  }, [state, changes, message, owner, name, save, toast]);

  // Ctrl/Cmd+S anywhere on the page saves.
  const saveRef = useLatest(doSave);
  useEffect(() => {
    const handler = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 's') {
        e.preventDefault();
        saveRef.current();
      }
    };
    window.addEventListener('keydown', handler);
    return () => window.removeEventListener('keydown', handler);
  }, [saveRef]);

  const reload = async () => {
    setConflict(null);
    setSelected(null);
    await queryClient.invalidateQueries({ queryKey: filesKey(owner, name) });
    dispatch({ type: 'reset', base: null });
  };

  const rename = async (from: string, to: string) => {
    try {
      const text =
        state.buffers[from] ??
        state.originals[from] ??
        (state.base ? await getFile(owner, name, from, state.base) : '');
      dispatch({ type: 'rename', from, to, text });
      setSelected(to);
    } catch (e) {
      toast.notifyError(e, 'Could not rename');
    }
  };

  if (files.isLoading) return <Loading label="Loading files…" />;
  if (files.isError) return <ErrorState error={files.error} onRetry={() => void files.refetch()} />;

  const value =
    selected === null
      ? ''
      : (state.buffers[selected] ?? state.originals[selected] ?? (selectedIsAdded ? '' : null));

  return (
    <div className="editor-workspace">
      {conflict ? (
        <Alert variant="warning" className="d-flex justify-content-between align-items-center">
          <span>
            <strong>Conflict:</strong> the project changed since you opened it (head is now{' '}
            <code>{shortSha(conflict)}</code>). Your changes were not saved. Reload to get the
            latest version (your unsaved edits are discarded; copy them first if needed).
          </span>
          <Button variant="warning" onClick={() => void reload()}>
            Reload latest
          </Button>
        </Alert>
      ) : null}
      <Form
        className="save-bar d-flex gap-2 align-items-center mb-2"
        onSubmit={(e) => {
          e.preventDefault();
          doSave();
        }}
      >
        <span className="small text-secondary text-nowrap">
          Base <code>{shortSha(state.base)}</code>
        </span>
        {dirty ? (
          <Badge bg="warning" text="dark" data-testid="dirty-marker">
            ● Unsaved changes ({changes.length})
          </Badge>
        ) : (
          <Badge bg="light" text="secondary" className="border" data-testid="clean-marker">
            ✓ All saved
          </Badge>
        )}
        {/* A visible label: the placeholder shows the default message, not what the field is. */}
        <Form.Label htmlFor="commit-message" className="small text-nowrap mb-0">
          Commit message
        </Form.Label>
        <Form.Control
          id="commit-message"
          size="sm"
          aria-describedby="commit-message-hint"
          placeholder={dirty ? defaultMessage(changes) : 'optional'}
          value={message}
          onChange={(e) => setMessage(e.target.value)}
        />
        <span id="commit-message-hint" className="visually-hidden">
          Optional; empty saves with the message shown in the field.
        </span>
        <Button
          type="submit"
          size="sm"
          disabled={!dirty || save.isPending}
          title="Save as a commit (Ctrl+S)"
          className="text-nowrap"
        >
          {save.isPending ? 'Saving…' : 'Save (Ctrl+S)'}
        </Button>
      </Form>
      <Row className="g-2">
        <Col xs={3} className="file-pane">
          <div className="d-flex justify-content-between align-items-center mb-1">
            <span className="small fw-semibold text-uppercase text-secondary">Files</span>
            <ButtonGroup size="sm">
              <Button variant="outline-secondary" onClick={() => setDialog({ kind: 'add' })}>
                Add
              </Button>
              <Button
                variant="outline-secondary"
                disabled={!selected}
                onClick={() => selected && setDialog({ kind: 'rename', path: selected })}
              >
                Rename
              </Button>
              <Button
                variant="outline-danger"
                disabled={!selected}
                onClick={() => {
                  if (!selected) return;
                  dispatch({ type: 'delete', path: selected });
                  toast.notify('info', `${selected} will be deleted when you save.`);
                  setSelected(null);
                }}
              >
                Delete
              </Button>
            </ButtonGroup>
          </div>
          <FileTree
            paths={paths}
            selected={selected}
            isDirty={(p) => isDirty(state, p)}
            onSelect={setSelected}
          />
          {state.deleted.length > 0 ? (
            <div className="small text-secondary mt-2">
              To delete on save:{' '}
              {state.deleted.map((p) => (
                <code key={p} className="me-1">
                  {p}
                </code>
              ))}
            </div>
          ) : null}
        </Col>
        <Col xs={9}>
          {selected === null ? (
            <div className="text-secondary p-3">Choose a file.</div>
          ) : content.isError ? (
            <ErrorState error={content.error} />
          ) : value === null ? (
            <Loading label={`Opening ${selected}…`} />
          ) : (
            <>
              <div className="small text-secondary mb-1">
                <code>{selected}</code>
                {isDirty(state, selected) ? ' (modified)' : ''}
              </div>
              <CodeEditor
                value={value}
                language={languageForPath(selected)}
                ariaLabel={`Contents of ${selected}`}
                onChange={(text) => dispatch({ type: 'edit', path: selected, text })}
                minHeight="480px"
              />
            </>
          )}
        </Col>
      </Row>
      <PathModal
        show={dialog !== null}
        title={dialog?.kind === 'rename' ? `Rename ${dialog.path}` : 'Add a file'}
        initial={dialog?.kind === 'rename' ? dialog.path : ''}
        existing={paths}
        actionLabel={dialog?.kind === 'rename' ? 'Rename' : 'Add'}
        onCancel={() => setDialog(null)}
        onSubmit={(path) => {
          if (dialog?.kind === 'rename') void rename(dialog.path, path);
          else {
            dispatch({ type: 'add', path });
            setSelected(path);
          }
          setDialog(null);
        }}
      />
    </div>
  );
}
