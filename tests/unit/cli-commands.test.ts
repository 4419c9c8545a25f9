/**
 * The CLI's command list (main.ts) loads each command's module only when it
 * runs, so the overview's names and summaries are written beside the loaders:
 * each must be the one its module's spec says, and `--version` / `--help`
 * must reach no command module, registry client or engine through static
 * imports (what bin.mjs's stamp check and the start-up time rely on).
 */
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { CLI_ENTRY, staticClosure } from '../../src-main/cli/build-cli.ts';
import { COMMANDS, main } from '../../src-main/cli/main.ts';

function sink(): { stream: Writable; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return { stream, text: () => text };
}

describe('the command list', () => {
  it("names and summarises each command as its module's spec does", async () => {
    for (const entry of COMMANDS) {
      const command = await entry.load();
      expect({ name: command.spec.name, summary: command.spec.summary }).toEqual({ name: entry.name, summary: entry.summary });
    }
    expect(new Set(COMMANDS.map((c) => c.name)).size).toBe(COMMANDS.length);
  });

  it('answers --help with every command, and COMMAND --help from the loaded spec', async () => {
    const overview = sink();
    expect(await main(['--help'], overview.stream, sink().stream)).toBe(0);
    for (const entry of COMMANDS) expect(overview.text()).toContain(`  ${entry.name}`);
    const verifyHelp = sink();
    expect(await main(['verify', '--help'], verifyHelp.stream, sink().stream)).toBe(0);
    expect(verifyHelp.text()).toContain('Usage: ferry verify BUNDLE');
  });

  it('reaches no command module or engine from main.ts by static imports', async () => {
    const root = join(import.meta.dirname, '..', '..');
    const { metafile } = await build({
      absWorkingDir: root,
      entryPoints: [CLI_ENTRY],
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      packages: 'external',
      outdir: 'out',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const startup = staticClosure(metafile, CLI_ENTRY);
    expect(startup).toContain('src-main/version.ts');
    expect(startup.filter((path) => !/^src-main\/(cli\/[^/]+|version)\.ts$|^src-shared\/[^/]+\.ts$/.test(path))).toEqual([]);
    // Every command module is still in the bundle, loaded on demand.
    const commandModules = Object.keys(metafile.inputs).filter((path) => path.startsWith('src-main/cli/commands/'));
    expect(commandModules.length).toBeGreaterThanOrEqual(14);
    expect(commandModules.filter((path) => startup.includes(path))).toEqual([]);
  });
});
