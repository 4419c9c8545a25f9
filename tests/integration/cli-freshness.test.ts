/**
 * bin.mjs runs the esbuild bundle only while it is what the sources say, and
 * the sources through tsx otherwise: an edited tree is never run stale. Here
 * on a small CLI of the same shape in a folder of its own (the real bin.mjs
 * and build-cli.ts copied in, so no other test's dist/cli changes under it):
 * `--version` checks only main.ts's static imports, a command checks every
 * source the bundle holds, and without a stamp or without sources bin.mjs
 * still decides correctly.
 */
import { spawn } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const REPO = join(import.meta.dirname, '..', '..');
let tree = '';

function run(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: tree, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`node ${args.join(' ')} exited ${String(code)}: ${err}`))));
  });
}
const ferry = (...args: string[]): Promise<string> => run([join(tree, 'src-main', 'cli', 'bin.mjs'), ...args]);
const buildCli = (): Promise<string> => run(['--import', 'tsx', join(tree, 'src-main', 'cli', 'build-cli.ts')]);

/**
 * Writes a source with a modification time of its own: an hour ago and one second later per edit, so
 * every edit differs from what the last build read even where the file system keeps whole seconds, yet
 * stays older than the bundle unless `when` (seconds) says otherwise.
 */
let clock = Date.now() / 1000 - 3600;
async function edit(path: string, text: string, when = (clock += 1)): Promise<void> {
  await writeFile(join(tree, path), text);
  await utimes(join(tree, path), when, when);
}

beforeAll(async () => {
  tree = await mkdtemp(join(tmpdir(), 'ferry-freshness-'));
  await mkdir(join(tree, 'src-main', 'cli'), { recursive: true });
  await mkdir(join(tree, 'src-shared'));
  await symlink(join(REPO, 'node_modules'), join(tree, 'node_modules'));
  await writeFile(join(tree, 'package.json'), '{ "type": "module" }\n');
  for (const file of ['bin.mjs', 'build-cli.ts']) await copyFile(join(REPO, 'src-main', 'cli', file), join(tree, 'src-main', 'cli', file));
  await edit('src-shared/word.ts', "export const word = 'version 1';\n");
  await edit('src-main/cli/command.ts', "export const run = (): string => 'command 1';\n");
  await edit(
    'src-main/cli/main.ts',
    [
      "import { word } from '../../src-shared/word.ts';",
      "const from = import.meta.url.endsWith('.mjs') ? 'bundle' : 'sources';",
      'export async function main(argv: string[]): Promise<number> {',
      "  if (argv[0] === '--version') process.stdout.write(`${word} from ${from}\\n`);",
      "  else process.stdout.write(`${(await import('./command.ts')).run()} from ${from}\\n`);",
      '  return 0;',
      '}',
      '',
    ].join('\n'),
  );
  await buildCli();
}, 120_000);
afterAll(() => rm(tree, { recursive: true, force: true }));

describe('bin.mjs', () => {
  it('runs the bundle while the sources are as built', async () => {
    expect(await ferry('--version')).toBe('version 1 from bundle');
    expect(await ferry('run')).toBe('command 1 from bundle');
  });

  it("runs the sources once one changes: --version sees main.ts's static imports, a command every source", async () => {
    await edit('src-main/cli/command.ts', "export const run = (): string => 'command 2';\n");
    expect(await ferry('--version')).toBe('version 1 from bundle');
    expect(await ferry('run')).toBe('command 2 from sources');
    await edit('src-shared/word.ts', "export const word = 'version 2';\n");
    expect(await ferry('--version')).toBe('version 2 from sources');
    await buildCli();
    expect(await ferry('--version')).toBe('version 2 from bundle');
    expect(await ferry('run')).toBe('command 2 from bundle');
  });

  it('catches an edit that keeps the size, and a deleted source', async () => {
    await edit('src-shared/word.ts', "export const word = 'version 3';\n");
    expect(await ferry('--version')).toBe('version 3 from sources');
    await buildCli();
    await rm(join(tree, 'src-main', 'cli', 'command.ts'));
    await expect(ferry('run')).rejects.toThrow(/command\.ts/);
    await edit('src-main/cli/command.ts', "export const run = (): string => 'command 3';\n");
    expect(await ferry('run')).toBe('command 3 from sources');
  });

  it('--version reads the startup stamp, and the full stamp when that one is missing or unreadable', async () => {
    await buildCli();
    expect(await ferry('--version')).toBe('version 3 from bundle');
    await writeFile(join(tree, 'dist', 'cli', 'build-stamp-startup.json'), '{ "version": 1, "sources": {}, "startup": ["src-shared/word.ts"] }\n');
    await expect(ferry('--version')).resolves.toBe('version 3 from sources');
    await writeFile(join(tree, 'dist', 'cli', 'build-stamp-startup.json'), 'not json');
    expect(await ferry('--version')).toBe('version 3 from bundle');
    await rm(join(tree, 'dist', 'cli', 'build-stamp-startup.json'));
    expect(await ferry('--version')).toBe('version 3 from bundle');
    await edit('src-shared/word.ts', "export const word = 'version 4';\n");
    expect(await ferry('--version')).toBe('version 4 from sources');
    await edit('src-shared/word.ts', "export const word = 'version 3';\n");
  });

  it('without a stamp compares every source with the bundle; without sources runs the bundle', async () => {
    await buildCli();
    await rm(join(tree, 'dist', 'cli', 'build-stamp.json'));
    expect(await ferry('--version')).toBe('version 3 from bundle');
    await edit('src-main/cli/command.ts', "export const run = (): string => 'command 4';\n", Date.now() / 1000 + 10);
    expect(await ferry('--version')).toBe('version 3 from sources');
    await buildCli();
    await rm(join(tree, 'src-main', 'cli', 'main.ts'));
    await edit('src-shared/word.ts', "export const word = 'version 5';\n");
    expect(await ferry('--version')).toBe('version 3 from bundle');
  });
});
