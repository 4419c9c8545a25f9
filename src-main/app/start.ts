/**
 * `npm start`: opens the desktop app when an Electron binary is installed, and
 * says in one line what happened when it is not (machines that install with
 * ELECTRON_SKIP_BINARY_DOWNLOAD=1 have none).
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

const binary = electronBinary();
if (binary === undefined) {
  process.stderr.write('ferry: no Electron binary is installed here (npm ran with ELECTRON_SKIP_BINARY_DOWNLOAD=1), so the desktop window cannot open; browser mode (`ferry ui`) is not built yet, so use the CLI: npx ferry --help\n');
} else {
  process.stderr.write(`ferry: Electron found at ${binary}, but the desktop window is not built yet; use the CLI: npx ferry --help\n`);
}
process.exitCode = 1;
