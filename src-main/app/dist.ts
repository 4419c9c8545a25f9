/**
 * `npm run dist`: the desktop packages of this platform (AppImage and deb on
 * Linux, the NSIS installer on Windows, a dmg on macOS; electron-builder.yml)
 * in dist/packages, each carrying the `ferry` CLI (cli-package.ts). Builds
 * everything first, one line each, then runs electron-builder, which packages
 * the Electron binary npm installed (`electronDist` in electron-builder.yml:
 * no download). Where npm installed no binary (ELECTRON_SKIP_BINARY_DOWNLOAD=1,
 * as on the build machines and in CI) it says so in one line and fails;
 * tests/unit/electron-builder-config.test.ts checks the configuration there
 * with electron-builder's own validation instead.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { checkoutRoot, ensureRenderer, runNodeScript } from '../server/renderer-build.ts';
import { buildDesktop } from './build-app.ts';
import { stageCliPackage } from './cli-package.ts';
import { electronBinary, NO_ELECTRON_BINARY } from './electron-binary.ts';

/** Builds what the packages hold, then runs electron-builder for this platform; resolves with the exit code. */
async function dist(): Promise<number> {
  if (electronBinary() === undefined) {
    process.stderr.write(`${NO_ELECTRON_BINARY}\n`);
    return 1;
  }
  const root = checkoutRoot();
  const require = createRequire(join(root, 'package.json'));
  process.stderr.write('ferry dist: building the command line into dist/cli…\n');
  // build-cli.ts is the CLI's own (the app layer does not import the CLI): run as `npm run build:cli` runs it.
  await runNodeScript('Building the command line', require.resolve('tsx/cli'), ['src-main/cli/build-cli.ts'], root);
  await ensureRenderer(root, process.stderr, 'ferry dist');
  process.stderr.write('ferry dist: building the desktop app into dist/app…\n');
  await buildDesktop(root);
  process.stderr.write('ferry dist: putting the CLI together for the packages in dist/cli-package…\n');
  stageCliPackage(root);
  const builder = join(dirname(require.resolve('electron-builder/package.json')), 'cli.js');
  await runNodeScript('electron-builder', builder, ['--publish', 'never', ...process.argv.slice(2)], root);
  process.stderr.write('ferry dist: the packages are in dist/packages\n');
  return 0;
}

process.exitCode = await dist();
