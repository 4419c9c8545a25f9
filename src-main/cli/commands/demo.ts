/**
 * `ferry demo`: the whole connected-to-disconnected story on one machine,
 * with nothing external (issue 17). It makes a few sample images, starts two
 * of Ferry's own registries on 127.0.0.1 (the source and the target), then
 * runs the real export, verify, inspect, import and mirror configuration,
 * printing each step in plain words and where everything is.
 */
import { dirname, join } from 'node:path';
import { FerryError } from '../../../src-shared/errors.ts';
import { defaultCatalogPath } from '../../base/data-folder.ts';
import { untilInterrupted } from '../../base/interrupt.ts';
import type { CommandIo, CommandSpec, ParsedArgs } from '../args.ts';
import { catalogFlag, withCatalog } from '../catalog-flags.ts';
import { terminalSafe } from '../terminal-text.ts';

/** The flags and help of `ferry demo`. */
export const demoSpec: CommandSpec = {
  name: 'demo',
  usage: 'ferry demo [--folder DIR] [--keep] [--catalog FILE]',
  summary: 'Try Ferry with sample images and nothing external: two local registries, then export, verify, inspect, import and mirror configuration.',
  flags: {
    folder: { type: 'string', value: 'DIR', description: 'where the sample registries, the stand-in USB drive and the mirror configuration go (default: demo/ beside the catalog); emptied first' },
    keep: { type: 'boolean', description: 'leave both registries running afterwards, to look at them with ferry ls, skopeo or podman, until Ctrl-C' },
    ...catalogFlag,
  },
  examples: ['ferry demo', 'ferry demo --keep', 'ferry demo --folder /tmp/ferry-demo'],
};

/** Runs `ferry demo`; returns the exit code. */
export async function runDemo(args: ParsedArgs, { out, err }: CommandIo): Promise<number> {
  if (args.positionals.length > 0) throw new FerryError('INVALID_ARGUMENT', 'ferry demo takes no arguments (see ferry demo --help)');
  const catalogPath = typeof args.values.catalog === 'string' ? args.values.catalog : defaultCatalogPath();
  const folder = typeof args.values.folder === 'string' && args.values.folder !== '' ? args.values.folder : join(dirname(catalogPath), 'demo');
  const say = (line: string): void => {
    out.write(`${terminalSafe(line)}\n`);
  };
  const { startDemo } = await import('../../usecases/demo.ts');
  const { runDemoFlow } = await import('../../usecases/demo-flow.ts');
  say('Ferry sample flow: the connected side and the disconnected side, both on this machine.');
  const session = await startDemo({ folder, onStep: say });
  try {
    const outcome = await withCatalog({ catalog: catalogPath }, (catalog) => runDemoFlow(session, catalog, say));
    say('');
    say('Done. The images are in the target registry:');
    for (const image of outcome.imported) say(`  ${image.destination}`);
    say(`Everything is in ${session.state.folder}.`);
    if (args.values.keep === true) {
      say('');
      say(`Both registries keep running: source ${session.state.source.url}, target ${session.state.target.url}.`);
      say(`For example: ferry ls --plain-http ${session.state.target.address}`);
      say('Press Ctrl-C to stop them.');
      await untilInterrupted();
    } else {
      say('The sample registries are stopped now; run ferry demo --keep to leave them running, or open the app and choose "Try Ferry with sample images".');
    }
    return 0;
  } finally {
    await session.close().catch((error: unknown) => err.write(`ferry demo: could not stop the sample registries: ${error instanceof Error ? error.message : String(error)}\n`));
  }
}
