/**
 * Issue 11, finding 3: only regular files, opened safely. A bundle whose
 * ferry.json is a FIFO, whose `blobs` or `blobs/sha256` folder is a symlink to
 * a host folder, or whose files are symlinks to /dev/zero or to a host JSON
 * file must be refused by name — quickly, with bounded memory, and without a
 * byte of the host file in any message. Hangs are caught by running the
 * engine in a child process under a kill timer (and an RSS watch), so a
 * regression fails the test instead of blocking the run.
 */
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArchiveBlobs } from '../../src-main/bundle/archive-blobs.ts';
import { BlobDirectory } from '../../src-main/bundle/blob-directory.ts';
import { indexJson, OCI_LAYOUT_CONTENT } from '../../src-main/bundle/layout.ts';
import { readReceipt } from '../../src-main/bundle/receipt.ts';
import { readExportState } from '../../src-main/bundle/export-state.ts';
import { verifyBundle } from '../../src-main/bundle/verify.ts';
import { OCI_MANIFEST } from '../../src-main/oci/media-types.ts';
import { findBundles } from '../../src-main/service/files.ts';
import type { BundleManifest } from '../../src-shared/model/bundle.ts';
import { craftArchiveBundle, tinyFerryJson, tinyImageBlobs } from '../harness/bad-bundles.ts';
import { failure } from '../harness/test-helpers.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'src-main', 'cli', 'bin.mjs');
/** Generous for a loaded 2-core machine: tsx compiles the CLI on start. Every refusal here takes well under a second once started. */
const KILL_AFTER_MS = 60_000;
/** A refusal needs no more than Node's own footprint; /dev/zero read whole would pass this in well under a second. */
const RSS_LIMIT_BYTES = 400 * 1024 * 1024;
const SECRET_KEY = 'host-secret-registry.example';

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');
const posixOnly = process.platform === 'win32' ? describe.skip : describe;

let work: string;
let good: string;
let secretJson: string;
let hostBlobs: string;

/** A directory-form bundle of one tiny image, every hash right. */
async function craftDirectoryBundle(dir: string): Promise<BundleManifest> {
  const { config, layer, manifest } = tinyImageBlobs();
  const blobs = [config, layer, manifest];
  await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
  for (const blob of blobs) await writeFile(join(dir, 'blobs', 'sha256', sha256(blob)), blob);
  const name = 'example.com/crafted/app:v1';
  await writeFile(join(dir, 'oci-layout'), OCI_LAYOUT_CONTENT);
  await writeFile(join(dir, 'index.json'), indexJson([{ name, source: name, digest: `sha256:${sha256(manifest)}`, mediaType: OCI_MANIFEST, manifestSize: manifest.length }]));
  const ferry = tinyFerryJson('directory', '7c9e6679-7425-40de-944b-e07fc1f90ae7', name, manifest, blobs, []);
  await writeFile(join(dir, 'ferry.json'), `${JSON.stringify(ferry, null, 2)}\n`);
  return ferry;
}

async function copyOfGood(name: string): Promise<string> {
  const dir = join(work, name);
  await cp(good, dir, { recursive: true });
  return dir;
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Why the child was stopped: it outlived the timer, or its memory passed the limit. */
  killed?: 'timer' | 'memory';
  peakRss: number;
}

/** Runs `node ARGS` under a kill timer and an RSS watch (Linux), so a hang or a leak ends the child and fails the test. */
function runNode(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let killed: Run['killed'];
    let peakRss = 0;
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      killed = 'timer';
      child.kill('SIGKILL');
    }, KILL_AFTER_MS);
    const watch = setInterval(() => {
      if (process.platform !== 'linux' || child.pid === undefined) return;
      readFile(`/proc/${child.pid}/status`, 'utf8').then(
        (status) => {
          const kib = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
          peakRss = Math.max(peakRss, kib * 1024);
          if (kib * 1024 > RSS_LIMIT_BYTES && killed === undefined) {
            killed = 'memory';
            child.kill('SIGKILL');
          }
        },
        () => undefined,
      );
    }, 50);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      clearInterval(watch);
      resolve({ code, stdout, stderr, ...(killed ? { killed } : {}), peakRss });
    });
  });
}

/** Runs `ferry ARGV` as a real process. */
const ferry = (...argv: string[]): Promise<Run> => runNode([BIN, ...argv]);

/**
 * In a child with Node's default four file-I/O threads: verifies every folder
 * at once, then reads one plain file. Prints the reports and whether the
 * plain read came back, as JSON.
 */
function verifyInChild(dirs: string[], plainFile: string): Promise<Run> {
  const verify = pathToFileURL(join(ROOT, 'src-main', 'bundle', 'verify.ts')).href;
  const script = `
    import { readFile } from 'node:fs/promises';
    const { verifyBundle } = await import(${JSON.stringify(verify)});
    const dirs = ${JSON.stringify(dirs)};
    const reports = await Promise.all(dirs.map((dir) => verifyBundle(dir)));
    const plain = (await readFile(${JSON.stringify(plainFile)})).length;
    process.stdout.write(JSON.stringify({ reports, plain }));
  `;
  return runNode(['--import', 'tsx', '--input-type=module', '-e', script], { UV_THREADPOOL_SIZE: '4' });
}

const problemsOf = (report: { checks: Array<{ problems: string[] }> }): string => report.checks.flatMap((c) => c.problems).join('\n');

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ferry-safe-files-'));
  good = join(work, 'good');
  await craftDirectoryBundle(good);
  secretJson = join(work, 'host-secret.json');
  await writeFile(secretJson, JSON.stringify({ auths: { [SECRET_KEY]: { auth: 'c2VjcmV0' } } }));
  // A host folder holding files whose digests the attacker knows: here, the bundle's own blobs.
  hostBlobs = join(work, 'host-files');
  await cp(join(good, 'blobs'), hostBlobs, { recursive: true });
});

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the crafted bundle', () => {
  it('verifies', async () => {
    const report = await verifyBundle(good);
    expect(report.ok, problemsOf(report)).toBe(true);
  });

  it('verification cancelled before the first read throws CANCELLED rather than reporting ferry.json as bad', async () => {
    const controller = new AbortController();
    controller.abort();
    expect((await failure(verifyBundle(good, { signal: controller.signal }))).code).toBe('CANCELLED');
  });
});

posixOnly('FIFOs: refused by name, never opened, so nothing blocks', () => {
  it('`ferry verify` on a bundle whose ferry.json is a FIFO ends, naming it', async () => {
    const dir = await copyOfGood('fifo-ferry-json');
    await rm(join(dir, 'ferry.json'));
    execFileSync('mkfifo', [join(dir, 'ferry.json')]);
    const run = await ferry('verify', dir);
    expect(run.killed, 'ferry verify hangs on a FIFO ferry.json').toBeUndefined();
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/ferry\.json in .* is a FIFO \(named pipe\), not a regular file/);
  }, 120_000);

  it('four FIFO ferry.json files do not use up the file-I/O thread pool: a later read still completes', async () => {
    const dirs: string[] = [];
    for (let i = 0; i < 4; i += 1) {
      const dir = join(work, `fifo-pool-${i}`);
      await mkdir(dir);
      execFileSync('mkfifo', [join(dir, 'ferry.json')]);
      dirs.push(dir);
    }
    const run = await verifyInChild(dirs, join(good, 'oci-layout'));
    expect(run.killed, `the engine hangs (stderr: ${run.stderr.slice(0, 500)})`).toBeUndefined();
    const { reports, plain } = JSON.parse(run.stdout) as { reports: Array<{ ok: boolean; checks: Array<{ problems: string[] }> }>; plain: number };
    expect(plain).toBe(OCI_LAYOUT_CONTENT.length);
    for (const report of reports) {
      expect(report.ok).toBe(false);
      expect(problemsOf(report)).toContain('FIFO');
    }
  }, 120_000);

  it('the bundle finder skips a FIFO ferry.json or oci-layout without opening it, and finds the good bundle beside it', async () => {
    const drive = join(work, 'finder-drive');
    await mkdir(join(drive, 'fifo-bundle'), { recursive: true });
    await mkdir(join(drive, 'fifo-layout'), { recursive: true });
    execFileSync('mkfifo', [join(drive, 'fifo-bundle', 'ferry.json')]);
    execFileSync('mkfifo', [join(drive, 'fifo-layout', 'oci-layout')]);
    execFileSync('mkfifo', [join(drive, 'a-fifo')]);
    await cp(good, join(drive, 'good'), { recursive: true });
    const files = pathToFileURL(join(ROOT, 'src-main', 'service', 'files.ts')).href;
    const script = `
      const { findBundles } = await import(${JSON.stringify(files)});
      process.stdout.write(JSON.stringify(await findBundles([{ path: ${JSON.stringify(drive)}, drive: null }])));
    `;
    const run = await runNode(['--import', 'tsx', '--input-type=module', '-e', script]);
    expect(run.killed, 'the bundle finder hangs').toBeUndefined();
    const found = JSON.parse(run.stdout) as Array<{ path: string; problem: string | null }>;
    expect(found.map((f) => f.path)).toEqual([join(drive, 'good')]);
  }, 120_000);
});

posixOnly('symlinks at any level: the host file behind them is never read', () => {
  it('a bundle whose blobs folder is a symlink to a host folder is refused, naming it', async () => {
    const dir = await copyOfGood('symlinked-blobs');
    await rm(join(dir, 'blobs'), { recursive: true });
    await symlink(hostBlobs, join(dir, 'blobs'));
    const report = await verifyBundle(dir);
    expect(report.ok, 'verify read the host files through the symlinked blobs folder and passed').toBe(false);
    expect(problemsOf(report)).toMatch(/blobs in .* is a symbolic link/);
  });

  it('a bundle whose blobs/sha256 folder is a symlink is refused, and BlobDirectory will not read through it', async () => {
    const dir = await copyOfGood('symlinked-sha256');
    await rm(join(dir, 'blobs', 'sha256'), { recursive: true });
    await symlink(join(hostBlobs, 'sha256'), join(dir, 'blobs', 'sha256'));
    const report = await verifyBundle(dir);
    expect(report.ok, 'verify read the host files through the symlinked blobs/sha256 folder and passed').toBe(false);
    expect(problemsOf(report)).toMatch(/blobs\/sha256 in .* is a symbolic link/);
    // The import reads blobs through BlobDirectory after verification: a folder swapped for a symlink meanwhile is refused there too.
    const manifest = JSON.parse(await readFile(join(good, 'ferry.json'), 'utf8')) as BundleManifest;
    const blob = manifest.blobs[0];
    if (!blob) throw new Error('no blob');
    const error = await failure(
      (async () => {
        for await (const _ of new BlobDirectory(dir).open(blob, 0)) {
          /* must not get here */
        }
      })(),
    );
    expect(error.message).toMatch(/blobs\/sha256 in .* is a symbolic link/);
  });

  it('a symlinked ferry.json is refused without reading it: no key of the host file reaches a message', async () => {
    const dir = await copyOfGood('symlinked-ferry-json');
    await rm(join(dir, 'ferry.json'));
    await symlink(secretJson, join(dir, 'ferry.json'));
    const run = await ferry('verify', dir);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/ferry\.json in .* is a symbolic link/);
    expect(run.stdout + run.stderr).not.toContain('auths');
    expect(run.stdout + run.stderr).not.toContain(SECRET_KEY);
    const found = await findBundles([{ path: join(work, 'symlinked-ferry-json'), drive: null }]);
    expect(JSON.stringify(found)).not.toContain('auths');
  }, 120_000);

  it('receipts and the export journal are not read through a symlink', async () => {
    const dir = join(work, 'receipt-link');
    await mkdir(dir);
    await symlink(secretJson, join(dir, 'ferry-receipt.json'));
    const error = await failure(readReceipt(join(dir, 'ferry-receipt.json')));
    expect(error.message).toMatch(/is a symbolic link/);
    expect(error.message).not.toContain('auths');
    const journal = join(work, 'journal-fifo');
    await mkdir(journal);
    execFileSync('mkfifo', [join(journal, '.ferry-export.json')]);
    expect(await readExportState(journal)).toBeUndefined();
  });
});

posixOnly('/dev/zero in place of a file: refused, memory stays bounded', () => {
  it('ferry.json, index.json and a blob symlinked to /dev/zero: `ferry verify` ends quickly with bounded memory', async () => {
    const dir = await copyOfGood('dev-zero');
    await rm(join(dir, 'ferry.json'));
    await symlink('/dev/zero', join(dir, 'ferry.json'));
    const run = await ferry('verify', dir);
    expect(run.killed, `ferry verify ${run.killed === 'memory' ? 'grew past the memory limit' : 'hangs'} reading /dev/zero (peak ${run.peakRss} bytes)`).toBeUndefined();
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/ferry\.json in .* is a symbolic link/);

    const layout = await copyOfGood('dev-zero-layout');
    await rm(join(layout, 'ferry.json'));
    const manifest = JSON.parse(await readFile(join(good, 'ferry.json'), 'utf8')) as BundleManifest;
    const blob = manifest.blobs[1];
    if (!blob) throw new Error('no blob');
    for (const name of ['index.json', `blobs/sha256/${blob.digest.slice('sha256:'.length)}`]) {
      await rm(join(layout, name));
      await symlink('/dev/zero', join(layout, name));
    }
    const second = await ferry('verify', layout);
    expect(second.killed, `ferry verify on a layout with /dev/zero files: ${second.killed ?? ''}`).toBeUndefined();
    expect(second.code).toBe(1);
    expect(second.stdout).toMatch(/index\.json in .* is a symbolic link/);
  }, 240_000);

  it('a part symlinked to /dev/zero is refused by verify and by the parts stream', async () => {
    const dir = join(work, 'dev-zero-part');
    const crafted = await craftArchiveBundle(dir, { name: 'oci-layout.bak', content: Buffer.from('x') });
    const part = crafted.parts[0];
    if (!part) throw new Error('no part');
    await rename(join(dir, part.name), join(work, 'moved-part.tar'));
    await symlink('/dev/zero', join(dir, part.name));
    const report = await verifyBundle(dir);
    expect(report.ok).toBe(false);
    expect(problemsOf(report)).toMatch(/part-000000\.tar in .* is a symbolic link/);
    const error = await failure(new ArchiveBlobs(dir, crafted.parts).forEach(async () => undefined));
    expect(error.message).toMatch(/part-000000\.tar in .* is a symbolic link/);
  });
});

describe('tar links', () => {
  it('a hard-linked entry is refused by name by verify and by the import walk', async () => {
    const dir = join(work, 'hardlink-entry');
    const target = `blobs/sha256/${'f'.repeat(64)}`;
    const crafted = await craftArchiveBundle(dir, { name: 'blobs/sha256/e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', type: 'link', linkname: target });
    const report = await verifyBundle(dir);
    expect(report.ok).toBe(false);
    expect(report.checks.find((c) => c.id === 'tar-safety')?.problems.join('\n')).toMatch(/a hard link to "blobs\/sha256\/f{64}"/);
    const visited: string[] = [];
    const error = await failure(
      new ArchiveBlobs(dir, crafted.parts).forEach(async (blob) => {
        visited.push(blob.digest);
      }),
    );
    expect(error.message).toMatch(/hard link to "blobs\/sha256\/f{64}"/);
    expect(visited).not.toContain('sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });
});
