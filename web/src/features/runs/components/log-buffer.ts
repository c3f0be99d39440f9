// A solver log held in memory with bounds: a model may print megabytes, the
// page keeps the newest lines only and counts what it let go.

export interface LogBuffer {
  lines: string[];
  /** Lines left out from the start (the full log is downloadable). */
  dropped: number;
}

export const EMPTY_LOG: LogBuffer = { lines: [], dropped: 0 };
/** How many lines the page keeps. */
export const MAX_LOG_LINES = 5000;
/** A longer line is cut (a model printing one huge line must not stall the page). */
export const MAX_LINE_CHARS = 2000;

function clip(line: string): string {
  return line.length > MAX_LINE_CHARS ? `${line.slice(0, MAX_LINE_CHARS)} … (line cut)` : line;
}

/** `buffer` with `incoming` appended, keeping the newest `maxLines` lines. */
export function appendLines(
  buffer: LogBuffer,
  incoming: readonly string[],
  maxLines: number = MAX_LOG_LINES,
): LogBuffer {
  if (incoming.length === 0) return buffer;
  const total = buffer.lines.length + incoming.length;
  const over = Math.max(0, total - maxLines);
  if (over === 0)
    return { lines: [...buffer.lines, ...incoming.map(clip)], dropped: buffer.dropped };
  // Only the tail survives: clip just the lines kept.
  const kept =
    over >= buffer.lines.length
      ? incoming.slice(over - buffer.lines.length).map(clip)
      : [...buffer.lines.slice(over), ...incoming.map(clip)];
  return { lines: kept, dropped: buffer.dropped + over };
}

/** A log's text as lines (a final newline ends the last line, it starts none). */
export function splitLog(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

/** A whole log's text as a bounded buffer. */
export function bufferFromText(text: string, maxLines: number = MAX_LOG_LINES): LogBuffer {
  return appendLines(EMPTY_LOG, splitLog(text), maxLines);
}
