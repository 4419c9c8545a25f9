/** VirtualTable rendered on the server with 10,000 rows: only a window of rows, the full count announced, spacers that add up. */
import { createElement } from 'react';
import { renderToString } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { VirtualTable, type VirtualColumn, type VirtualTableProps } from '../../src-renderer/components/VirtualTable.tsx';

interface Row {
  id: number;
  name: string;
}
const ROWS: Row[] = Array.from({ length: 10_000 }, (_, id) => ({ id, name: `registry.example.com/app-${id}:1.0` }));
const COLUMNS: VirtualColumn<Row>[] = [
  { key: 'id', header: 'Id', className: 'num', cell: (r) => String(r.id) },
  { key: 'name', header: 'Reference', className: 'mono', cell: (r) => r.name },
];
const ROW_HEIGHT = 36;

const render = (props: Partial<VirtualTableProps<Row>> = {}): string =>
  renderToString(
    createElement(VirtualTable<Row>, {
      caption: 'Images',
      label: 'Images, scrollable',
      columns: COLUMNS,
      rows: ROWS,
      rowKey: (r) => String(r.id),
      rowHeight: ROW_HEIGHT,
      ...props,
    }),
  );

const dataRows = (html: string): number[] => [...html.matchAll(/<tr aria-rowindex="(\d+)"/g)].map((m) => Number(m[1]));
const spacer = (html: string, which: 'top' | 'bottom'): number => {
  const m = new RegExp(`<tr[^>]*data-spacer="${which}"[^>]*style="height:(\\d+)px"`).exec(html);
  return m ? Number(m[1]) : 0;
};

describe('VirtualTable', () => {
  it('renders fewer than 100 rows of 10,000, announces all 10,001 and keeps the scroll height', () => {
    const html = render();
    const trs = html.match(/<tr[\s>]/g) ?? [];
    expect(trs.length).toBeLessThan(100);
    expect(html).toContain('aria-rowcount="10001"');
    const rows = dataRows(html);
    expect(rows[0]).toBe(1); // the header row
    const body = rows.slice(1);
    expect(body.length).toBeGreaterThan(0);
    expect(body[0]).toBe(2);
    expect(spacer(html, 'top') + body.length * ROW_HEIGHT + spacer(html, 'bottom')).toBe(10_000 * ROW_HEIGHT);
    expect(html).toContain('registry.example.com/app-0:1.0');
    expect(html).not.toContain('registry.example.com/app-9999:1.0');
  });

  it('renders the window around the scroll position with both spacers', () => {
    const html = render({ initialScrollTop: 5000 * ROW_HEIGHT });
    const body = dataRows(html).slice(1);
    expect(body.length).toBeLessThan(100);
    expect(body).toContain(5000 + 2); // row 5000 (0-based) is the 5002nd row of the grid
    const first = body[0];
    if (first === undefined) throw new Error('no data rows rendered');
    expect(body).toEqual(body.map((_index, i) => first + i));
    const top = spacer(html, 'top');
    expect(top).toBe((first - 2) * ROW_HEIGHT);
    expect(top + body.length * ROW_HEIGHT + spacer(html, 'bottom')).toBe(10_000 * ROW_HEIGHT);
    expect(html).toMatch(/<tr class="vtable-spacer" aria-hidden="true"/);
  });

  it('keeps table semantics and a focusable, labelled scroll container', () => {
    const html = render();
    expect(html).toMatch(/^<div[^>]*role="region"[^>]*aria-label="Images, scrollable"[^>]*tabindex="0"/);
    for (const tag of ['<table', '<caption>Images</caption>', '<thead>', '<tbody>', '<th scope="col">Reference</th>']) expect(html).toContain(tag);
  });

  it('renders a small table plainly, every row, without a scroll container', () => {
    const html = render({ rows: ROWS.slice(0, 20) });
    expect(html.startsWith('<table aria-rowcount="21"')).toBe(true);
    expect(dataRows(html)).toHaveLength(21);
    expect(html).not.toContain('vtable-spacer');
  });
});
