/** The visible-range maths behind VirtualTable: which rows render, and spacers that keep the scrollbar right. */
import { describe, expect, it } from 'vitest';
import { visibleRange } from '../../src-renderer/components/virtual-range.ts';

const sums = (r: ReturnType<typeof visibleRange>, rowHeight: number, total: number) => expect(r.padTop + (r.end - r.start) * rowHeight + r.padBottom).toBe(total * rowHeight);

describe('visibleRange', () => {
  it('renders the first screenful plus overscan below at the top', () => {
    const r = visibleRange(0, 400, 40, 10_000, 5);
    expect(r).toEqual({ start: 0, end: 15, padTop: 0, padBottom: (10_000 - 15) * 40 });
    sums(r, 40, 10_000);
  });

  it('renders the rows in view plus overscan on both sides in the middle', () => {
    const r = visibleRange(4000, 400, 40, 10_000, 5); // rows 100..109 in view
    expect(r.start).toBe(95);
    expect(r.end).toBe(115);
    expect(r.padTop).toBe(95 * 40);
    sums(r, 40, 10_000);
  });

  it('counts a partly visible row at either edge', () => {
    const r = visibleRange(50, 100, 40, 100, 0); // 50..150 px: rows 1, 2, 3
    expect([r.start, r.end]).toEqual([1, 4]);
  });

  it('stops at the end of the list', () => {
    const r = visibleRange(10_000 * 40 - 400, 400, 40, 10_000, 5);
    expect(r.end).toBe(10_000);
    expect(r.padBottom).toBe(0);
    expect(r.start).toBe(10_000 - 10 - 5);
    sums(r, 40, 10_000);
  });

  it('clamps a scrollTop past the end (the list shrank) to the last screenful', () => {
    const r = visibleRange(1_000_000, 400, 40, 30, 2);
    expect([r.start, r.end]).toEqual([18, 30]);
    sums(r, 40, 30);
  });

  it('clamps a negative or non-finite scrollTop to the top', () => {
    expect(visibleRange(-200, 400, 40, 1000, 0)).toMatchObject({ start: 0, end: 10, padTop: 0 });
    expect(visibleRange(Number.NaN, 400, 40, 1000, 0)).toMatchObject({ start: 0, end: 10 });
  });

  it('renders everything when the list is shorter than the viewport', () => {
    expect(visibleRange(0, 400, 40, 3, 5)).toEqual({ start: 0, end: 3, padTop: 0, padBottom: 0 });
  });

  it('renders nothing for an empty list', () => {
    expect(visibleRange(123, 400, 40, 0, 5)).toEqual({ start: 0, end: 0, padTop: 0, padBottom: 0 });
  });

  it('still renders one row in a zero-height viewport (before it is measured)', () => {
    const r = visibleRange(0, 0, 40, 100, 0);
    expect([r.start, r.end]).toEqual([0, 1]);
  });

  it('keeps the spacers consistent at every scroll position', () => {
    for (let top = 0; top <= 5000; top += 37) sums(visibleRange(top, 333, 36, 137, 3), 36, 137);
  });

  it('refuses a row height that is not positive', () => {
    expect(() => visibleRange(0, 400, 0, 10, 1)).toThrow(RangeError);
  });
});
