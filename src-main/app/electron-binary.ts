/**
 * Whether this checkout can run the desktop app: the Electron package's binary,
 * which npm downloads at install unless ELECTRON_SKIP_BINARY_DOWNLOAD=1 (as on
 * the build machines and in CI). `npm start`, `npm run dist` and the tests ask.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

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

/** The one line `npm run dist` fails with where no Electron binary is installed. */
export const NO_ELECTRON_BINARY =
  'ferry dist: no Electron binary is installed here (npm ran with ELECTRON_SKIP_BINARY_DOWNLOAD=1), and the desktop packages are built around it: run npm install without that variable, then npm run dist again';
