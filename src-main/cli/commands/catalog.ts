/**
 * `ferry catalog …`: what Ferry remembers — bundles, their images and blobs,
 * sites, a repository's tag history, monthly totals — and the audit log check.
 */
import { FerryError } from '../../../src-shared/errors.ts';
import { queryCatalog, type Catalog } from '../../usecases/catalog.ts';
import type { CommandIo, CommandSpec, ParsedArgs } from '../args.ts';
import { catalogFlag, withCatalog } from '../catalog-flags.ts';
import { formatBytes } from '../../../src-shared/units.ts';
import { terminalSafe } from '../terminal-text.ts';

/** The flags and help of `ferry catalog`. */
export const catalogSpec: CommandSpec = {
  name: 'catalog',
  usage: 'ferry catalog bundles|images BUNDLE|blobs BUNDLE|sites|site NAME|history REPOSITORY|totals|audit|conflicts [flags]',
  summary:
    "Show what the catalog recorded: bundles (newest first), a bundle's images and blobs, sites, tag history, monthly totals, the audit log, bundles refused because another ferry.json carried a known id.",
  flags: {
    contains: { type: 'string', value: 'REF|DIGEST', description: 'with bundles: only bundles holding this reference, repository or digest' },
    check: { type: 'boolean', description: 'with audit: verify the hash chain of the audit log; exit 1 if it was tampered with' },
    limit: { type: 'string', value: 'N', description: 'with bundles: how many (default 50)' },
    json: { type: 'boolean', description: 'print JSON on stdout' },
    ...catalogFlag,
  },
  examples: ['ferry catalog bundles', 'ferry catalog bundles --contains quay.io/org/app', 'ferry catalog history quay.io/org/app', 'ferry catalog audit --check'],
};

type Rows = Array<Record<string, unknown>>;

function table(rows: Rows, columns: string[]): string {
  if (rows.length === 0) return '(none)\n';
  const cell = (row: Record<string, unknown>, column: string): string => {
    const value = row[column];
    if (column === 'bytes' || column === 'size') return formatBytes(Number(value ?? 0));
    if (value === null || value === undefined) return '-';
    // Names, tags and sites come from bundles and receipts: escaped here, so the column widths count what is shown.
    if (Array.isArray(value)) return terminalSafe(value.join(','));
    if (typeof value === 'string') return terminalSafe(value);
    return typeof value === 'number' || typeof value === 'boolean' ? String(value) : terminalSafe(JSON.stringify(value));
  };
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r, c).length)));
  const line = (values: string[]): string =>
    values
      .map((v, i) => v.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return `${[line(columns), ...rows.map((r) => line(columns.map((c) => cell(r, c))))].join('\n')}\n`;
}

function argument(args: ParsedArgs, what: string): string {
  const value = args.positionals[1];
  if (value === undefined) throw new FerryError('INVALID_ARGUMENT', `ferry catalog ${args.positionals[0]} needs ${what}`);
  return value;
}

/** Runs one query against the catalog; returns rows and the columns to show. */
function query(catalog: Catalog, args: ParsedArgs): { rows: unknown; columns?: string[]; exit?: number } {
  const sub = args.positionals[0];
  switch (sub) {
    case 'bundles': {
      const contains = args.values.contains;
      if (typeof contains === 'string') return { rows: queryCatalog(catalog, { kind: 'bundles', contains }), columns: ['id', 'created'] };
      const limit = args.values.limit === undefined ? undefined : Number(args.values.limit);
      return {
        rows: queryCatalog(catalog, { kind: 'bundles', ...(limit === undefined ? {} : { limit }) }),
        columns: ['id', 'created', 'direction', 'form', 'sequence', 'parent', 'images', 'blobs', 'bytes', 'site'],
      };
    }
    case 'images':
      return { rows: queryCatalog(catalog, { kind: 'images', bundleId: argument(args, 'a bundle id') }), columns: ['reference', 'digest', 'platforms', 'size'] };
    case 'blobs':
      return { rows: queryCatalog(catalog, { kind: 'blobs', bundleId: argument(args, 'a bundle id') }), columns: ['digest', 'size'] };
    case 'sites':
      return { rows: queryCatalog(catalog, { kind: 'sites' }), columns: ['name', 'registries', 'receipts', 'lastImport'] };
    case 'site':
      return { rows: queryCatalog(catalog, { kind: 'site', name: argument(args, 'a site name') }) };
    case 'history':
      return { rows: queryCatalog(catalog, { kind: 'history', repository: argument(args, 'a repository') }), columns: ['tag', 'digest', 'bundleId', 'created'] };
    case 'totals':
      return { rows: queryCatalog(catalog, { kind: 'totals' }), columns: ['month', 'bundles', 'exports', 'imports', 'bytes'] };
    case 'conflicts':
      return { rows: queryCatalog(catalog, { kind: 'conflicts' }), columns: ['bundleId', 'seenAt', 'direction', 'path', 'manifestDigest', 'knownDigest'] };
    case 'audit': {
      const result = queryCatalog(catalog, { kind: 'audit' });
      return { rows: result, exit: result.ok ? 0 : 1 };
    }
    default:
      throw new FerryError('INVALID_ARGUMENT', `unknown catalog query "${sub ?? ''}" (see ferry catalog --help)`);
  }
}

/** Runs `ferry catalog`; returns the exit code. */
export async function runCatalog(args: ParsedArgs, { out }: CommandIo): Promise<number> {
  return withCatalog(args.values, async (catalog) => {
    const { rows, columns, exit } = query(catalog, args);
    if (args.values.json === true || columns === undefined) out.write(`${JSON.stringify(rows, null, 2)}\n`);
    else out.write(table(rows as Rows, columns));
    return exit ?? 0;
  });
}
