/** A unified diff, with added and removed lines coloured (and marked + / -). */
export function DiffView({ patch }: { patch: string }) {
  const lines = patch.replace(/\n$/, '').split('\n');
  return (
    <pre className="diff-view mb-0" aria-label="Diff">
      {lines.map((line, i) => {
        let kind = 'context';
        if (line.startsWith('+++') || line.startsWith('---')) kind = 'file';
        else if (line.startsWith('@@')) kind = 'hunk';
        else if (line.startsWith('+')) kind = 'added';
        else if (line.startsWith('-')) kind = 'removed';
        return (
          <div key={i} className={`diff-line diff-${kind}`} data-kind={kind}>
            {line || ' '}
          </div>
        );
      })}
    </pre>
  );
}
