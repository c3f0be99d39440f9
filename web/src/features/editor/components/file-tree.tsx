import ListGroup from 'react-bootstrap/ListGroup';

interface Props {
  paths: string[];
  selected: string | null;
  isDirty: (path: string) => boolean;
  onSelect: (path: string) => void;
}

/** The project's files as a list indented by directory. */
export function FileTree({ paths, selected, isDirty, onSelect }: Props) {
  const rows: { kind: 'dir' | 'file'; path: string; label: string; depth: number }[] = [];
  const seenDirs = new Set<string>();
  for (const path of paths) {
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      if (!seenDirs.has(dir)) {
        seenDirs.add(dir);
        rows.push({ kind: 'dir', path: dir, label: `${parts[i - 1]}/`, depth: i - 1 });
      }
    }
    rows.push({ kind: 'file', path, label: parts[parts.length - 1], depth: parts.length - 1 });
  }
  return (
    <ListGroup variant="flush" className="file-tree" aria-label="Files">
      {rows.map((row) =>
        row.kind === 'dir' ? (
          <ListGroup.Item
            key={`d:${row.path}`}
            className="file-tree-dir text-secondary small"
            style={{ paddingLeft: `${0.75 + row.depth}rem` }}
          >
            {row.label}
          </ListGroup.Item>
        ) : (
          <ListGroup.Item
            key={`f:${row.path}`}
            action
            active={row.path === selected}
            onClick={() => onSelect(row.path)}
            style={{ paddingLeft: `${0.75 + row.depth}rem` }}
            className="file-tree-file d-flex justify-content-between"
            data-path={row.path}
            aria-current={row.path === selected ? 'true' : undefined}
          >
            <span className="text-truncate">{row.label}</span>
            {isDirty(row.path) ? (
              <span className="dirty-dot" title="Unsaved changes">
                ●<span className="visually-hidden"> (unsaved)</span>
              </span>
            ) : null}
          </ListGroup.Item>
        ),
      )}
    </ListGroup>
  );
}
