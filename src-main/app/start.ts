/**
 * `npm start`: opens the desktop app when an Electron binary is installed; where
 * none is (machines that install with ELECTRON_SKIP_BINARY_DOWNLOAD=1), it says
 * so in one line and serves browser mode (`ferry ui`) instead.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { runBrowserMode } from '../server/browser-mode.ts';

/** Where the Electron binary would be, or undefined when the package or its binary is absent. */
export function electronBinary(): string | undefined {
  try {
    const require = createRequire(import.meta.url);
    const packageDir = dirname(require.resolve('electron/package.json'));
    const pathFile = join(packageDir, 'path.txt');
    if (!existsSync(pathFile)) return undefined;
    const binary = join(packageDir, 'dist', readFileSync(pathFile, 'utf8').trim());
    return existsSync(binary) ? binary : undefined;
  } catch {
    return undefined;
  }
}

const binary = electronBinary();
process.stderr.write(binary === undefined
  ? 'ferry: no Electron binary is installed here (npm ran with ELECTRON_SKIP_BINARY_DOWNLOAD=1), so Ferry starts in browser mode instead\n'
  : `ferry: Electron found at ${binary}, but the desktop bundle is not built yet, so Ferry starts in browser mode instead\n`);
process.exitCode = await runBrowserMode({ open: !process.argv.includes('--no-open'), out: process.stdout, err: process.stderr });
