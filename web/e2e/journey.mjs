// The bookkeeping both browser journeys share: named steps with their times,
// the last one that passed, and every page's console kept for the verdict.
export class Journey {
  lastPassed = '(none)';
  consoleLines = [];
  pages = [];

  constructor(log) {
    this.log = log;
  }

  async step(name, fn) {
    const t0 = Date.now();
    this.log(`… ${name}`);
    await fn();
    this.lastPassed = name;
    this.log(`✓ ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  }

  /** Keeps `page`'s console, each line tagged with `tag()` (default: who). */
  watchConsole(page, who, tag = () => who) {
    this.pages.push({ page, who });
    page.on('console', (m) => {
      const where = m.location()?.url;
      this.consoleLines.push(`[${tag()}] ${m.type()}: ${m.text()}${where ? ` (${where})` : ''}`);
    });
    page.on('pageerror', (e) => this.consoleLines.push(`[${tag()}] pageerror: ${e.message}`));
  }
}
