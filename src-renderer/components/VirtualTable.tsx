/**
 * A table that stays fast with 10,000 rows: past `threshold` rows it renders
 * only the rows in view (plus `overscan`) inside a focusable scroll container
 * of fixed height, with aria-hidden spacer rows above and below so the
 * scrollbar covers the whole list. Real table semantics throughout: caption,
 * column headers, aria-rowcount on the table and aria-rowindex on every row,
 * so assistive technology knows where in the full list a row sits.
 */
import { useCallback, useEffect, useRef, useState, type ReactNode, type UIEvent } from 'react';
import { visibleRange } from './virtual-range.ts';

/** One column: its header and how a row fills its cell. */
export interface VirtualColumn<T> {
  key: string;
  header: ReactNode;
  cell: (row: T) => ReactNode;
  /** Class of the cell (`mono`, `num`). */
  className?: string;
  /** Tooltip of the cell, e.g. the full digest behind a shortened one. */
  title?: (row: T) => string | undefined;
  /** A CSS width for the column; virtualised tables use a fixed layout so widths do not jump while scrolling. */
  width?: string;
}

export interface VirtualTableProps<T> {
  caption: ReactNode;
  /** Accessible name of the scroll container, e.g. "Images in the plan, scrollable". */
  label: string;
  columns: VirtualColumn<T>[];
  rows: readonly T[];
  rowKey: (row: T, index: number) => string;
  /** Pixel height of every body row (fixed; cells do not wrap when virtualised). */
  rowHeight?: number;
  /** Pixel height of the scroll container. */
  height?: number;
  /** Rows rendered beyond the viewport on each side. */
  overscan?: number;
  /** Up to this many rows the table renders plainly, without a scroll container. */
  threshold?: number;
  /** Where the container starts scrolled to (server rendering and tests). */
  initialScrollTop?: number;
}

export const DEFAULT_ROW_HEIGHT = 36;
export const DEFAULT_HEIGHT = 480;
export const DEFAULT_OVERSCAN = 6;
export const DEFAULT_THRESHOLD = 50;

/** The accessible, virtualised table. */
export function VirtualTable<T>(props: VirtualTableProps<T>) {
  const { caption, label, columns, rows, rowKey } = props;
  const rowHeight = props.rowHeight ?? DEFAULT_ROW_HEIGHT;
  const height = props.height ?? DEFAULT_HEIGHT;
  const overscan = props.overscan ?? DEFAULT_OVERSCAN;
  const virtual = rows.length > (props.threshold ?? DEFAULT_THRESHOLD);

  const container = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(props.initialScrollTop ?? 0);
  const [viewport, setViewport] = useState(height);

  // Re-render only when the first row in view changes, not on every scrolled pixel.
  const onScroll = useCallback(
    (e: UIEvent<HTMLDivElement>) => {
      const top = e.currentTarget.scrollTop;
      setScrollTop(Math.floor(top / rowHeight) * rowHeight);
    },
    [rowHeight],
  );

  useEffect(() => {
    const el = container.current;
    if (!el) return;
    if (props.initialScrollTop) el.scrollTop = props.initialScrollTop;
    setViewport(el.clientHeight || height);
  }, [virtual, height]); // measured once per mode and size; initialScrollTop applies only at mount

  const rowCount = rows.length + 1; // the header row counts
  const colgroup = columns.some((c) => c.width) ? (
    <colgroup>
      {columns.map((c) => (
        <col key={c.key} style={c.width ? { width: c.width } : undefined} />
      ))}
    </colgroup>
  ) : null;
  const head = (
    <thead>
      <tr aria-rowindex={1}>
        {columns.map((c) => (
          <th key={c.key} scope="col">
            {c.header}
          </th>
        ))}
      </tr>
    </thead>
  );
  const renderRow = (row: T, index: number) => (
    <tr key={rowKey(row, index)} aria-rowindex={index + 2} style={virtual ? { height: rowHeight } : undefined}>
      {columns.map((c) => (
        <td key={c.key} className={c.className} title={c.title?.(row)}>
          {c.cell(row)}
        </td>
      ))}
    </tr>
  );

  if (!virtual) {
    return (
      <table aria-rowcount={rowCount}>
        <caption>{caption}</caption>
        {colgroup}
        {head}
        <tbody>{rows.map(renderRow)}</tbody>
      </table>
    );
  }

  const range = visibleRange(scrollTop, viewport, rowHeight, rows.length, overscan);
  const spacer = (which: 'top' | 'bottom', px: number) =>
    px > 0 ? (
      <tr className="vtable-spacer" aria-hidden="true" data-spacer={which} style={{ height: px }}>
        <td colSpan={columns.length} />
      </tr>
    ) : null;
  return (
    <div ref={container} className="vtable" role="region" aria-label={label} tabIndex={0} style={{ maxHeight: height }} onScroll={onScroll}>
      <table aria-rowcount={rowCount}>
        <caption>{caption}</caption>
        {colgroup}
        {head}
        <tbody>
          {spacer('top', range.padTop)}
          {rows.slice(range.start, range.end).map((row, i) => renderRow(row, range.start + i))}
          {spacer('bottom', range.padBottom)}
        </tbody>
      </table>
    </div>
  );
}
