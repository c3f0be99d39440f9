import { buildPath } from './paths';

/** The SSE URL of a build's log (history, live lines, then `event: end`). */
export function buildLogUrl(id: string): string {
  return `${buildPath(id)}/logs`;
}
