import { describe, expect, it } from 'vitest';
import {
  appendLines,
  bufferFromText,
  EMPTY_LOG,
  MAX_LINE_CHARS,
  MAX_LOG_LINES,
  splitLog,
} from './log-buffer';

describe('log buffer', () => {
  it('appends lines while under the bound', () => {
    const a = appendLines(EMPTY_LOG, ['one', 'two'], 5);
    const b = appendLines(a, ['three'], 5);
    expect(b).toEqual({ lines: ['one', 'two', 'three'], dropped: 0 });
    expect(a.lines).toEqual(['one', 'two']);
  });

  it('keeps the newest lines and counts the dropped ones', () => {
    let buffer = EMPTY_LOG;
    for (let i = 0; i < 10; i++) buffer = appendLines(buffer, [`line ${i}`], 4);
    expect(buffer.lines).toEqual(['line 6', 'line 7', 'line 8', 'line 9']);
    expect(buffer.dropped).toBe(6);
  });

  it('stays bounded when one batch alone is over the bound', () => {
    const batch = Array.from({ length: 25_000 }, (_, i) => `l${i}`);
    const buffer = appendLines(appendLines(EMPTY_LOG, ['old']), batch);
    expect(buffer.lines).toHaveLength(MAX_LOG_LINES);
    expect(buffer.lines[0]).toBe(`l${25_000 - MAX_LOG_LINES}`);
    expect(buffer.lines.at(-1)).toBe('l24999');
    expect(buffer.dropped).toBe(25_001 - MAX_LOG_LINES);
  });

  it('cuts a huge line', () => {
    const buffer = appendLines(EMPTY_LOG, ['x'.repeat(10 * MAX_LINE_CHARS)]);
    expect(buffer.lines[0].length).toBeLessThan(MAX_LINE_CHARS + 20);
    expect(buffer.lines[0]).toMatch(/line cut\)$/);
  });

  it('returns the same buffer for nothing new', () => {
    const a = appendLines(EMPTY_LOG, ['a']);
    expect(appendLines(a, [])).toBe(a);
  });

  it('splits a text log into lines', () => {
    expect(splitLog('')).toEqual([]);
    expect(splitLog('a\nb\n')).toEqual(['a', 'b']);
    expect(splitLog('a\r\nb')).toEqual(['a', 'b']);
    expect(splitLog('\n')).toEqual(['']);
    expect(bufferFromText('1\n2\n3\n', 2)).toEqual({ lines: ['2', '3'], dropped: 1 });
  });
});
