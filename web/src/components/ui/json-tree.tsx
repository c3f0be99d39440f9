import { useState } from 'react';

/** Children shown at first under an object or array; "Show more" adds as many again. */
export const JSON_TREE_CHUNK = 100;

type Container = Record<string, unknown> | unknown[];

function isContainer(value: unknown): value is Container {
  return typeof value === 'object' && value !== null;
}

/** `[3 items]`, `{2 keys}`: what a collapsed object or array holds. */
export function jsonSummary(value: Container): string {
  if (Array.isArray(value)) return `[${value.length} item${value.length === 1 ? '' : 's'}]`;
  const n = Object.keys(value).length;
  return `{${n} key${n === 1 ? '' : 's'}}`;
}

/** The first `count` children of an object or array as [key, value] pairs. */
function childrenOf(value: Container, count: number): [string, unknown][] {
  if (Array.isArray(value)) return value.slice(0, count).map((v, i) => [String(i), v]);
  const pairs: [string, unknown][] = [];
  for (const key in value) {
    if (pairs.length >= count) break;
    if (Object.hasOwn(value, key)) pairs.push([key, value[key]]);
  }
  return pairs;
}

function childCount(value: Container): number {
  return Array.isArray(value) ? value.length : Object.keys(value).length;
}

function Scalar({ value }: { value: unknown }) {
  if (typeof value === 'string')
    return <span className="json-string">{JSON.stringify(value)}</span>;
  if (typeof value === 'number') return <span className="json-number">{String(value)}</span>;
  return <span className="json-literal">{String(value)}</span>;
}

function Key({ name }: { name?: string }) {
  if (name === undefined) return null;
  return <span className="json-key">{name}: </span>;
}

function JsonNode({
  name,
  value,
  depth,
  expandDepth,
}: {
  name?: string;
  value: unknown;
  depth: number;
  expandDepth: number;
}) {
  const [open, setOpen] = useState(depth < expandDepth);
  const [shown, setShown] = useState(JSON_TREE_CHUNK);
  if (!isContainer(value)) {
    return (
      <li className="json-leaf">
        <Key name={name} />
        <Scalar value={value} />
      </li>
    );
  }
  const total = childCount(value);
  const summary = jsonSummary(value);
  if (total === 0) {
    return (
      <li className="json-leaf">
        <Key name={name} />
        <span className="json-literal">{Array.isArray(value) ? '[]' : '{}'}</span>
      </li>
    );
  }
  return (
    <li>
      <button
        type="button"
        className="json-toggle"
        aria-expanded={open}
        onClick={() => setOpen(!open)}
      >
        <span aria-hidden="true">{open ? '▾' : '▸'} </span>
        <Key name={name} />
        <span className="json-summary">{summary}</span>
      </button>
      {open ? (
        <ul>
          {childrenOf(value, shown).map(([key, child]) => (
            <JsonNode
              key={key}
              name={key}
              value={child}
              depth={depth + 1}
              expandDepth={expandDepth}
            />
          ))}
          {total > shown ? (
            <li>
              <button
                type="button"
                className="btn btn-link btn-sm p-0"
                onClick={() => setShown(shown + JSON_TREE_CHUNK)}
              >
                Show {Math.min(JSON_TREE_CHUNK, total - shown)} more of {total - shown}
              </button>
            </li>
          ) : null}
        </ul>
      ) : null}
    </li>
  );
}

/**
 * A JSON value as a collapsible tree: objects and arrays open to
 * `expandDepth` levels, each toggled by a button; long ones show their
 * children a chunk at a time, so a big result does not flood the page.
 */
export function JsonTree({
  value,
  label,
  expandDepth = 2,
}: {
  value: unknown;
  label: string;
  expandDepth?: number;
}) {
  return (
    <ul className="json-tree" aria-label={label}>
      <JsonNode value={value} depth={0} expandDepth={expandDepth} />
    </ul>
  );
}
