import { useEffect, useRef } from 'react';

/** A monospace log that keeps the newest line in view while following. */
export function LogView({
  lines,
  follow = true,
  label,
  emptyText = 'No output yet.',
  height = 360,
}: {
  lines: string[];
  follow?: boolean;
  label: string;
  emptyText?: string;
  height?: number;
}) {
  const box = useRef<HTMLPreElement>(null);
  useEffect(() => {
    const el = box.current;
    if (follow && el) el.scrollTop = el.scrollHeight;
  }, [lines, follow]);
  return (
    <pre
      ref={box}
      className="log-view"
      style={{ height }}
      aria-label={label}
      aria-live="polite"
      tabIndex={0}
    >
      {lines.length === 0 ? <span className="text-secondary">{emptyText}</span> : null}
      {lines.map((line, i) => (
        <div key={i} className="log-line">
          {line}
        </div>
      ))}
    </pre>
  );
}
