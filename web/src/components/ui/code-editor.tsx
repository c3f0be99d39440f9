import { useEffect, useRef } from 'react';
import { indentWithTab } from '@codemirror/commands';
import { json } from '@codemirror/lang-json';
import { python } from '@codemirror/lang-python';
import { StreamLanguage } from '@codemirror/language';
import { toml } from '@codemirror/legacy-modes/mode/toml';
import { Compartment, EditorState, type Extension } from '@codemirror/state';
import { EditorView, keymap } from '@codemirror/view';
import { basicSetup } from 'codemirror';
import { useLatest } from '@/lib/use-latest';

export type CodeLanguage = 'python' | 'json' | 'toml' | 'text';

/** The editor language for a file name. */
export function languageForPath(path: string): CodeLanguage {
  const lower = path.toLowerCase();
  if (lower.endsWith('.py')) return 'python';
  if (lower.endsWith('.json')) return 'json';
  if (lower.endsWith('.toml')) return 'toml';
  return 'text';
}

function languageExtension(language: CodeLanguage): Extension {
  switch (language) {
    case 'python':
      return python();
    case 'json':
      return json();
    case 'toml':
      return StreamLanguage.define(toml);
    default:
      return [];
  }
}

interface Props {
  value: string;
  onChange?: (value: string) => void;
  /** Ctrl/Cmd+S. */
  onSave?: () => void;
  language: CodeLanguage;
  readOnly?: boolean;
  ariaLabel: string;
  minHeight?: string;
}

/** CodeMirror 6 as a controlled component. */
export function CodeEditor({
  value,
  onChange,
  onSave,
  language,
  readOnly,
  ariaLabel,
  minHeight = '420px',
}: Props) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const callbacks = useLatest({ onChange, onSave });
  const languageSlot = useRef(new Compartment());
  const readOnlySlot = useRef(new Compartment());

  useEffect(() => {
    if (!host.current) return;
    const saveKeymap = keymap.of([
      {
        key: 'Mod-s',
        preventDefault: true,
        run: () => {
          callbacks.current.onSave?.();
          return true;
        },
      },
      indentWithTab,
    ]);
    const created = new EditorView({
      parent: host.current,
      state: EditorState.create({
        doc: value,
        extensions: [
          saveKeymap,
          basicSetup,
          languageSlot.current.of(languageExtension(language)),
          readOnlySlot.current.of(EditorState.readOnly.of(Boolean(readOnly))),
          EditorView.contentAttributes.of({ 'aria-label': ariaLabel }),
          EditorView.theme({
            '&': { minHeight, maxHeight: '70vh' },
            '.cm-scroller': { minHeight, overflow: 'auto', fontFamily: 'var(--orsa-mono)' },
          }),
          EditorView.updateListener.of((update) => {
            if (update.docChanged) callbacks.current.onChange?.(update.state.doc.toString());
          }),
        ],
      }),
    });
    view.current = created;
    return () => {
      created.destroy();
      view.current = null;
    };
    // The view is created once with the first props: value, language and
    // readOnly changes are applied by the effects below, ariaLabel and
    // minHeight are fixed for an editor's life.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  useEffect(() => {
    const v = view.current;
    if (v && v.state.doc.toString() !== value) {
      v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: value } });
    }
  }, [value]);

  useEffect(() => {
    view.current?.dispatch({
      effects: languageSlot.current.reconfigure(languageExtension(language)),
    });
  }, [language]);

  useEffect(() => {
    view.current?.dispatch({
      effects: readOnlySlot.current.reconfigure(EditorState.readOnly.of(Boolean(readOnly))),
    });
  }, [readOnly]);

  return <div ref={host} className="code-editor border rounded" data-language={language} />;
}
