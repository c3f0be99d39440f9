import { fireEvent, screen, waitFor } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { apiError, json, mockFetch, text } from '@/testing/fetch-mock';
import { renderWithProviders } from '@/testing/render';
import { EditorWorkspace } from './editor-workspace';

// CodeMirror needs layout APIs jsdom lacks; a textarea stands in for it.
vi.mock('@/components/ui/code-editor', () => ({
  languageForPath: () => 'python',
  CodeEditor: ({
    value,
    onChange,
    ariaLabel,
  }: {
    value: string;
    onChange?: (v: string) => void;
    ariaLabel: string;
  }) => (
    <textarea aria-label={ariaLabel} value={value} onChange={(e) => onChange?.(e.target.value)} />
  ),
}));

const P = '/api/v1/projects/alice/knap';

function backend(commitResponder: () => Response) {
  document.cookie = 'orsa_csrf=csrf-1; path=/';
  return mockFetch({
    [`GET ${P}/files`]: () =>
      json({
        commit: 'c1',
        files: [
          { path: 'input.json', size: 2 },
          { path: 'model.py', size: 6 },
        ],
      }),
    [`GET ${P}/files/model.py`]: () => text('x = 1\n'),
    [`POST ${P}/commits`]: commitResponder,
  });
}

async function editModel() {
  const editor = await screen.findByLabelText('Contents of model.py');
  await waitFor(() => expect(editor).toHaveValue('x = 1\n'));
  expect(screen.getByTestId('clean-marker')).toBeInTheDocument();
  fireEvent.change(editor, { target: { value: 'x = 2\n' } });
  expect(screen.getByTestId('dirty-marker')).toHaveTextContent('Unsaved changes (1)');
  expect(screen.getByTitle('Unsaved changes')).toBeInTheDocument();
}

describe('EditorWorkspace', () => {
  it('marks edits unsaved and saves them as one commit on Ctrl+S', async () => {
    const { calls } = backend(() =>
      json({ commit: { sha: 'c2', message: 'Update model.py', parents: ['c1'] } }, 201),
    );
    renderWithProviders(<EditorWorkspace owner="alice" name="knap" />);
    await editModel();
    fireEvent.keyDown(window, { key: 's', ctrlKey: true });
    expect(await screen.findByText(/Saved as commit c2/)).toBeInTheDocument();
    expect(screen.getByTestId('clean-marker')).toBeInTheDocument();
    const post = calls.find((c) => c.method === 'POST');
    expect(post?.headers['if-match']).toBe('c1');
    expect(post?.headers['x-csrf-token']).toBe('csrf-1');
    expect(JSON.parse(post?.body ?? '')).toEqual({
      message: 'Update model.py',
      changes: [{ path: 'model.py', content: 'x = 2\n' }],
    });
  });

  it('explains a 409 conflict and offers a reload', async () => {
    backend(() => apiError(409, 'conflict', 'the branch moved', { current_head: 'c9abcdef1234' }));
    renderWithProviders(<EditorWorkspace owner="alice" name="knap" />);
    await editModel();
    fireEvent.click(screen.getByRole('button', { name: /Save/ }));
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('the project changed since you opened it');
    expect(alert).toHaveTextContent('c9abcde');
    expect(screen.getByRole('button', { name: 'Reload latest' })).toBeInTheDocument();
    // The edit is kept until the user reloads.
    expect(screen.getByTestId('dirty-marker')).toBeInTheDocument();
  });

  it('labels the commit message field visibly and uses the typed message', async () => {
    const { calls } = backend(() =>
      json({ commit: { sha: 'c2', message: 'Tune x', parents: ['c1'] } }, 201),
    );
    renderWithProviders(<EditorWorkspace owner="alice" name="knap" />);
    await editModel();
    const field = screen.getByRole('textbox', { name: 'Commit message' });
    const label = screen.getByText('Commit message', { selector: 'label' });
    expect(label).not.toHaveClass('visually-hidden');
    expect(field).toHaveAccessibleDescription(/Optional/);
    expect(field).toHaveAttribute('placeholder', 'Update model.py');
    fireEvent.change(field, { target: { value: 'Tune x' } });
    fireEvent.click(screen.getByRole('button', { name: /Save/ }));
    await screen.findByText(/Saved as commit c2/);
    const post = calls.find((c) => c.method === 'POST');
    expect(JSON.parse(post?.body ?? '')).toMatchObject({ message: 'Tune x' });
  });
});
