/**
 * `ferry extract BUNDLE NAME --to DIR`: verify a bundle, then write one
 * artifact's files out of it — a package repository unpacked, a chart's
 * tarball, the files of a `files:` entry. The work is the extract use case's;
 * this file parses flags and prints.
 */
import { FerryError } from '../../../src-shared/errors.ts';
import { CONTENT_KIND_WORDS } from '../../../src-shared/model/content-kind.ts';
import { formatBytes } from '../../../src-shared/units.ts';
import { runExtract as extract } from '../../usecases/extract.ts';
import type { CommandIo, CommandSpec, ParsedArgs } from '../args.ts';
import { shown } from '../terminal-text.ts';

/** The flags and help of `ferry extract`. */
export const extractSpec: CommandSpec = {
  name: 'extract',
  usage: 'ferry extract BUNDLE NAME|TARGET --to DIR [--json]',
  summary: "Verify a bundle and write one artifact's files (files, a package repository, a chart) into a folder.",
  flags: {
    to: { type: 'string', value: 'DIR', description: 'the folder to write into (created if missing); nothing in it is overwritten' },
    json: { type: 'boolean', description: 'print one JSON summary on stdout' },
  },
  examples: ['ferry extract /media/usb/bundle ket/packages:v1.6 --to /srv/repo', 'ferry extract ./bundle ket/docs --to ./docs --json'],
};

/** Runs `ferry extract`; exit 0 when every file was written. */
export async function runExtract(args: ParsedArgs, { out }: CommandIo): Promise<number> {
  const [bundle, name, ...extra] = args.positionals;
  if (bundle === undefined || name === undefined || extra.length > 0)
    throw new FerryError('INVALID_ARGUMENT', 'give a BUNDLE folder and the NAME or TARGET of one artifact in it (see ferry extract --help)');
  const to = args.values.to;
  if (typeof to !== 'string' || to === '') throw new FerryError('INVALID_ARGUMENT', '--to DIR is required (see ferry extract --help)');
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  process.once('SIGINT', stop);
  try {
    const summary = await extract({ bundle, name, to }, { signal: controller.signal });
    if (args.values.json === true) {
      out.write(`${JSON.stringify(summary, null, 2)}\n`);
      return 0;
    }
    for (const file of summary.files) out.write(`  ${shown`${file.path}`}  ${formatBytes(file.size)}\n`);
    for (const note of summary.notes ?? []) out.write(`${shown`note: ${note}`}\n`);
    out.write(shown`extracted ${CONTENT_KIND_WORDS[summary.kind]} ${summary.name} (${summary.source}): ${String(summary.files.length)} file(s), ${formatBytes(summary.bytes)} into ${summary.to}`);
    out.write('\n');
    return 0;
  } finally {
    process.removeListener('SIGINT', stop);
  }
}
