// The builder reports each finished step as "step <name> done in <ms> ms…".
export const BUILD_STEPS = ['extract', 'render', 'layer', 'config', 'push'] as const;

/** The known steps finished according to the log lines. */
export function finishedSteps(lines: string[]): string[] {
  const done = new Set<string>();
  for (const line of lines) {
    const m = /\bstep ([a-z_-]+) done\b/.exec(line);
    if (m && (BUILD_STEPS as readonly string[]).includes(m[1])) done.add(m[1]);
  }
  return BUILD_STEPS.filter((s) => done.has(s));
}
