/** The renderer's formatters: local times without milliseconds, durations in words, counts with their noun. */
import { describe, expect, it } from 'vitest';
import { formatAgo, formatCount, formatDuration, formatLocalTime, formatMonth } from '../../src-renderer/format.ts';

describe('formatLocalTime', () => {
  it('shows an ISO moment to the minute, never the ISO string or its milliseconds', () => {
    const text = formatLocalTime('2026-12-03T04:12:09.123Z');
    expect(text).not.toContain('T04');
    expect(text).not.toContain('.123');
    expect(text).not.toContain('Z');
    expect(text).toContain('2026');
  });
  it('says unknown for missing or unreadable input instead of "Invalid Date"', () => {
    expect(formatLocalTime(null)).toBe('unknown');
    expect(formatLocalTime('not a time')).toBe('unknown');
  });
});

describe('formatDuration', () => {
  it('uses words with at most two units', () => {
    expect(formatDuration(0.25)).toBe('250 ms');
    expect(formatDuration(2.34)).toBe('2.3 s');
    expect(formatDuration(42)).toBe('42 s');
    expect(formatDuration(65)).toBe('1 min 5 s');
    expect(formatDuration(120)).toBe('2 min');
    expect(formatDuration(7380)).toBe('2 h 3 min');
    expect(formatDuration(2 * 86_400 + 3600)).toBe('2 d 1 h');
    expect(formatDuration(undefined)).toBe('unknown');
    expect(formatDuration(-1)).toBe('unknown');
  });
});

describe('formatAgo, formatCount, formatMonth', () => {
  const now = Date.parse('2026-12-03T12:00:00Z');
  it('says how long ago in words', () => {
    expect(formatAgo('2026-12-03T11:59:50Z', now)).toBe('just now');
    expect(formatAgo('2026-12-03T11:55:00Z', now)).toBe('5 min ago');
    expect(formatAgo('2026-12-03T09:00:00Z', now)).toBe('3 h ago');
    expect(formatAgo('2026-12-01T12:00:00Z', now)).toBe('2 days ago');
    expect(formatAgo('2026-10-01T12:00:00Z', now)).toContain('2026');
  });
  it('counts with the right noun', () => {
    expect(formatCount(1, 'image')).toBe('1 image');
    expect(formatCount(3, 'image')).toBe('3 images');
    expect(formatCount(0, 'problem')).toBe('0 problems');
    expect(formatCount(2, 'entry', 'entries')).toBe('2 entries');
  });
  it('writes a YYYY-MM month in words', () => {
    expect(formatMonth('2026-12')).toContain('2026');
    expect(formatMonth('2026-12')).not.toBe('2026-12');
    expect(formatMonth('later')).toBe('later');
  });
});
