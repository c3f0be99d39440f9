import { useMemo } from 'react';
import { JsonTree } from '@/components/ui/json-tree';
import { ErrorState, Loading } from '@/components/ui/states';
import { formatBytes } from '@/lib/format';
import type { Run } from '@/types/api';
import { runResultUrl, useRunResult } from '../api/get-run-result';

/** Results up to this size are drawn as a tree; bigger ones are only downloaded. */
export const MAX_RESULT_SHOWN = 2 * 1024 * 1024;

function parse(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

/** The run's result as a collapsible JSON tree, with a download of the bytes. */
export function RunResult({ run }: { run: Run }) {
  const size = run.result?.size ?? 0;
  const showable = run.result !== null && size <= MAX_RESULT_SHOWN;
  const result = useRunResult(run.id, showable);
  const parsed = useMemo(
    () => (result.data === undefined ? null : parse(result.data)),
    [result.data],
  );
  if (run.result === null) return null;
  let body;
  if (!showable)
    body = (
      <p className="small text-secondary">
        The result is {formatBytes(size)}: too big to show here; download it.
      </p>
    );
  else if (result.isLoading) body = <Loading label="Loading the result…" />;
  else if (result.isError)
    body = <ErrorState error={result.error} onRetry={() => void result.refetch()} />;
  else if (parsed && !parsed.ok) body = <pre className="response-view">{result.data}</pre>;
  else if (parsed) body = <JsonTree value={parsed.value} label="Result" />;
  return (
    <section aria-labelledby="run-result-title" className="mb-4">
      <div className="d-flex align-items-center gap-3 mb-2">
        <h3 className="h6 mb-0" id="run-result-title">
          Result
        </h3>
        <span className="small text-secondary">{formatBytes(size)}</span>
        <a
          className="btn btn-sm btn-outline-primary ms-auto"
          href={runResultUrl(run.id)}
          download={`${run.id}-result.json`}
        >
          Download
        </a>
      </div>
      {body}
    </section>
  );
}
