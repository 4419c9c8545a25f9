/**
 * The desktop packaging where it cannot be run (no Electron binary here, so
 * `npm run dist` stops in one line): electron-builder.yml as electron-builder
 * itself loads and validates it (app-builder-lib's getConfig and
 * validateConfiguration, the schema electron-builder checks before building),
 * the targets per platform, the icons (redrawn by draw-icons.ts and compared)
 * and the `ferry` CLI carried as an extra resource.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { electronBinary, NO_ELECTRON_BINARY } from '../../src-main/app/electron-binary.ts';
import { iconFiles } from '../../src-main/app/draw-icons.ts';

const require = createRequire(import.meta.url);

/** electron-builder's own configuration loader and validator (what `electron-builder` runs before building). */
const builderConfig = require('app-builder-lib/out/util/config/config.js') as {
  getConfig(projectDir: string, configPath: string | null, configFromOptions: null): Promise<Record<string, unknown>>;
  validateConfiguration(config: Record<string, unknown>, debugLogger: unknown): Promise<void>;
};
const { DebugLogger } = require('builder-util') as { DebugLogger: new (enabled: boolean) => unknown };

/** The configuration as electron-builder reads it from this checkout (electron-builder.yml beside package.json). */
async function loadConfig(): Promise<Record<string, unknown>> {
  return builderConfig.getConfig(process.cwd(), null, null);
}

describe('electron-builder.yml', () => {
  it("passes electron-builder's own validation, and a misspelt option does not", async () => {
    const config = await loadConfig();
    await expect(builderConfig.validateConfiguration(config, new DebugLogger(false))).resolves.toBeUndefined();
    // The check can fail: one wrong key under linux is refused by the same schema.
    const misspelt = { ...config, linux: { ...(config.linux as object), tagret: ['deb'] } };
    await expect(builderConfig.validateConfiguration(misspelt, new DebugLogger(false))).rejects.toThrow(/configuration object that does not match the API schema/);
  });

  it('builds AppImage and deb, the NSIS installer and a dmg, from the Electron binary npm installed', async () => {
    const config = (await loadConfig()) as { linux: { target: string[] }; win: { target: string[] }; mac: { target: string[] }; electronDist: string; publish: unknown };
    expect([config.linux.target, config.win.target, config.mac.target]).toEqual([['AppImage', 'deb'], ['nsis'], ['dmg']]);
    expect(config.electronDist).toBe('node_modules/electron/dist');
    expect(config.publish).toBeNull();
  });

  it('carries the ferry CLI (dist/cli-package) as resources/cli, and the app as dist/app and dist/renderer', async () => {
    const config = (await loadConfig()) as { extraResources: unknown; files: unknown };
    expect(config.extraResources).toEqual([{ from: 'dist/cli-package', to: 'cli' }]);
    expect(JSON.stringify(config.files)).toContain('dist/app/**/*');
    expect(JSON.stringify(config.files)).toContain('dist/renderer/**/*');
  });

  it('names icon files that are the ones draw-icons.ts draws: 512 and 256 pixel PNGs, an .ico and an .icns', async () => {
    const config = (await loadConfig()) as { linux: { icon: string }; win: { icon: string }; mac: { icon: string } };
    expect([config.linux.icon, config.win.icon, config.mac.icon]).toEqual(['resources/icons', 'resources/icons/icon.ico', 'resources/icons/icon.icns']);
    for (const [name, bytes] of Object.entries(iconFiles())) expect(readFileSync(`resources/icons/${name}`).equals(bytes), name).toBe(true);
    const png = readFileSync('resources/icons/512x512.png');
    expect([png.subarray(1, 4).toString('latin1'), png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual(['PNG', 512, 512]);
    expect(readFileSync('resources/icons/icon.icns').subarray(0, 4).toString('latin1')).toBe('icns');
    expect(readFileSync('resources/icons/icon.ico').readUInt16LE(2)).toBe(1);
  });
});

describe('npm run dist', () => {
  it.skipIf(electronBinary() !== undefined)('says in one line that no Electron binary is installed, and fails', () => {
    const run = spawnSync('npm', ['run', '--silent', 'dist'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(run.status).not.toBe(0);
    expect(`${run.stdout}${run.stderr}`.trim()).toBe(NO_ELECTRON_BINARY);
  });
});
