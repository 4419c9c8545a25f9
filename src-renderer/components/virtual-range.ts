/** The maths of a virtualised list with a fixed row height: which rows to render, and the spacers around them. */

/** Rows `start` (inclusive) to `end` (exclusive) are rendered; `padTop` and `padBottom` are the spacer heights in pixels. */
export interface VisibleRange {
  start: number;
  end: number;
  padTop: number;
  padBottom: number;
}

const whole = (n: number): number => (Number.isFinite(n) && n > 0 ? Math.floor(n) : 0);
const nonNegative = (n: number): number => (Number.isFinite(n) && n > 0 ? n : 0);

/**
 * The rows in view at `scrollTop` in a viewport `viewportHeight` high, plus
 * `overscan` rows either side, out of `total` rows of `rowHeight` pixels each.
 * Always `padTop + (end - start) * rowHeight + padBottom === total * rowHeight`,
 * so the scrollbar matches the full list. Out-of-range input is clamped: a
 * scrollTop past the end shows the last rows, a negative one the first.
 */
export function visibleRange(scrollTop: number, viewportHeight: number, rowHeight: number, total: number, overscan: number): VisibleRange {
  const count = whole(total);
  if (count === 0) return { start: 0, end: 0, padTop: 0, padBottom: 0 };
  if (!(Number.isFinite(rowHeight) && rowHeight > 0)) throw new RangeError(`rowHeight must be a positive number, not ${rowHeight}`);
  const extra = whole(overscan);
  const viewport = nonNegative(viewportHeight);
  // Scrolled past the end (a list that just shrank): keep the last screenful in view.
  const top = Math.min(nonNegative(scrollTop), Math.max(0, count * rowHeight - viewport));
  const firstVisible = Math.min(count - 1, Math.floor(top / rowHeight));
  const lastVisible = Math.max(firstVisible + 1, Math.ceil((top + viewport) / rowHeight)); // exclusive
  const start = Math.max(0, firstVisible - extra);
  const end = Math.min(count, lastVisible + extra);
  return { start, end, padTop: start * rowHeight, padBottom: (count - end) * rowHeight };
}
