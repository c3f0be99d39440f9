import { describe, expect, it } from 'vitest';
import { formatAge, formatBytes, formatDuration, shortDigest } from './format';

describe('format', () => {
  it('formats sizes, durations, digests and ages', () => {
    expect(formatBytes(86447148)).toBe('82.4 MiB');
    expect(formatBytes(512)).toBe('512 B');
    expect(formatDuration(0)).toBe('< 1 s');
    expect(formatDuration(75)).toBe('1 min 15 s');
    expect(shortDigest('sha256:0b1b0b9aa26c94519b30ac82')).toBe('0b1b0b9aa26c');
    expect(formatAge('2026-01-01T00:00:00Z', Date.parse('2026-01-01T00:05:00Z'))).toBe('5 min ago');
  });
});
