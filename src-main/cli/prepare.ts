/**
 * `npm install`'s `prepare` step (npm runs it after installing the packages,
 * `npm ci` in CI too): builds what a fresh clone needs so that `npm start`
 * and `ferry ui` open the app with no third command. Each build says so in
 * one line: the CLI bundle (dist/cli, fast to start; build-cli.ts) and the
 * app's pages (dist/renderer, when missing or older than their sources;
 * server/renderer-build.ts). The desktop bundle is left to `npm start`,
 * which builds it where an Electron binary exists.
 */
import { join } from 'node:path';
import { ensureRenderer } from '../server/renderer-build.ts';
import { buildCli } from './build-cli.ts';

const root = join(import.meta.dirname, '..', '..');
process.stderr.write('ferry: building the command line into dist/cli…\n');
await buildCli(root);
await ensureRenderer(root, process.stderr);
