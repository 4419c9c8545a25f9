/**
 * The CLI bundled as `npm run build:cli` bundles it (the same buildCli), in a
 * folder of its own under dist/ so no other test's dist/cli changes under it.
 * Tests that start ferry many times (the kill tests) use it: the bundle starts
 * in about a second where loading the sources through tsx takes ten on a
 * loaded machine.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildCli } from '../../src-main/cli/build-cli.ts';

/** The checkout's root. */
const REPO = new URL('../..', import.meta.url).pathname;

/** Bundles the CLI into dist/NAME and returns the path of a script that runs it, as bin.mjs runs the bundle. */
export async function bundleCliForTest(name: string): Promise<string> {
  const outdir = join(REPO, 'dist', name);
  await buildCli(REPO, outdir);
  const ferryBin = join(outdir, 'ferry.mjs');
  await writeFile(ferryBin, "import { main } from './main.mjs';\nprocess.exitCode = await main(process.argv.slice(2));\n");
  return ferryBin;
}
