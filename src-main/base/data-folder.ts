/**
 * Where Ferry keeps its per-user files (the catalog, receipts written when a
 * bundle folder is read-only). A base helper so that the catalog and the
 * bundle layer can both find the folder without one importing the other.
 */
import { homedir } from 'node:os';
import { isAbsolute, posix, win32 } from 'node:path';

/** The catalog's file name inside the data folder. */
const CATALOG_FILE = 'catalog.sqlite';

/**
 * The platform's per-user data folder for Ferry — XDG on Linux
 * (https://specifications.freedesktop.org/basedir-spec/latest/), Application
 * Support on macOS, %APPDATA% (roaming) on Windows. Paths follow the target
 * platform's separators, so every OS's answer can be tested on any OS.
 */
export function defaultDataFolder(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform, home: string = homedir()): string {
  if (platform === 'win32') {
    const appData = env.APPDATA !== undefined && env.APPDATA !== '' ? env.APPDATA : win32.join(home, 'AppData', 'Roaming');
    return win32.join(appData, 'Ferry');
  }
  if (platform === 'darwin') return posix.join(home, 'Library', 'Application Support', 'Ferry');
  // The basedir spec says a relative XDG_DATA_HOME is invalid and must be ignored.
  const xdg = env.XDG_DATA_HOME;
  const dataHome = xdg !== undefined && xdg !== '' && isAbsolute(xdg) ? xdg : posix.join(home, '.local', 'share');
  return posix.join(dataHome, 'ferry');
}

/** Where the catalog lives: `FERRY_CATALOG` wins (tests, `--catalog`), else `catalog.sqlite` in the data folder. */
export function defaultCatalogPath(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform, home: string = homedir()): string {
  const override = env.FERRY_CATALOG;
  if (override !== undefined && override !== '') return override;
  const paths = platform === 'win32' ? win32 : posix;
  return paths.join(defaultDataFolder(env, platform, home), CATALOG_FILE);
}

/**
 * The folder that holds the catalog, whether it is the data folder or the one
 * `FERRY_CATALOG` points into: files that belong beside the catalog (receipts)
 * follow its override.
 */
export function catalogFolder(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform, home: string = homedir()): string {
  const paths = platform === 'win32' ? win32 : posix;
  return paths.dirname(defaultCatalogPath(env, platform, home));
}
