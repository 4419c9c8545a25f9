/**
 * `npm start`: opens the desktop app when an Electron binary is installed; where
 * none is (machines that install with ELECTRON_SKIP_BINARY_DOWNLOAD=1), it says
 * so in one line and serves browser mode (`ferry ui`) instead.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
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
const desktop = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'app', 'main.js');
if (binary !== undefined && existsSync(desktop)) {
  // The desktop app proper: Electron runs the bundled main process (npm run build).
  const child = spawn(binary, [desktop], { stdio: 'inherit' });
  child.on('exit', (code) => {
    process.exitCode = code ?? 1;
  });
} else {
  process.stderr.write(
    binary === undefined
      ? 'ferry: no Electron binary is installed here (npm ran with ELECTRON_SKIP_BINARY_DOWNLOAD=1), so Ferry starts in browser mode instead\n'
      : 'ferry: Electron is installed but the desktop bundle is not built (run npm run build), so Ferry starts in browser mode instead\n',
  );
  process.exitCode = await runBrowserMode({ open: !process.argv.includes('--no-open'), out: process.stdout, err: process.stderr });
}
