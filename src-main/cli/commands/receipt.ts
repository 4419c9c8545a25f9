/**
 * `ferry receipt add FILE --site NAME`: load a receipt carried back from a
 * disconnected site into the catalog, so the next export for that site
 * (`ferry export --site NAME`) leaves out what it already has.
 */
import { FerryError } from '../../../src-shared/errors.ts';
import { addReceipt } from '../../usecases/receipt.ts';
import type { CommandIo, CommandSpec, ParsedArgs } from '../args.ts';
import { catalogFlag, withCatalog } from '../catalog-flags.ts';
import { shown } from '../terminal-text.ts';

/** The flags and help of `ferry receipt`. */
export const receiptSpec: CommandSpec = {
  name: 'receipt',
  usage: 'ferry receipt add FILE --site NAME [--catalog FILE] [--json]',
  summary: 'Record a receipt carried back from a disconnected site: what its registry now holds.',
  flags: {
    site: { type: 'string', value: 'NAME', description: 'the site the receipt comes from (wins over the site named inside it)' },
    json: { type: 'boolean', description: 'print one JSON object on stdout' },
    ...catalogFlag,
  },
  examples: ['ferry receipt add /media/usb/bundle/ferry-receipt.json --site plant-7'],
};

/** Runs `ferry receipt add`; returns the exit code. */
export async function runReceipt(args: ParsedArgs, { out }: CommandIo): Promise<number> {
  const [verb, file, ...extra] = args.positionals;
  if (verb !== 'add' || file === undefined || extra.length > 0) throw new FerryError('INVALID_ARGUMENT', 'usage: ferry receipt add FILE --site NAME (see ferry receipt --help)');
  const site = typeof args.values.site === 'string' ? args.values.site : undefined;
  return withCatalog(args.values, async (catalog) => {
    const added = await addReceipt(catalog, file, site);
    if (args.values.json === true) out.write(`${JSON.stringify({ site: added.site, receiptId: added.receiptId, digests: added.digests, catalog: catalog.path }, null, 2)}\n`);
    else out.write(shown`site ${added.site}: receipt of bundle ${added.bundleId ?? '(unknown)'} recorded, ${added.digests} digests present at ${added.registry}\n`);
    return 0;
  });
}
