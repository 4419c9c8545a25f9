/**
 * The `signatures/` folder beside ferry.json and ferry.json's pin of
 * index.json (issue 14): real exports from a real registry, both forms, then
 * the folder filled as an officer (or an attacker) could on the drive.
 */
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyBundle, type VerifyReport } from '../../src-main/bundle/verify.ts';
import { sha256Digest } from '../../src-main/oci/digest.ts';
import type { BundleManifest } from '../../src-shared/model/bundle.ts';
import { emptyAuthFile } from '../harness/ferry-access.ts';
import { buildFixtures, seedFixtures, type FixtureImage, type FixtureName } from '../harness/fixtures.ts';
import { startRegistry, type RunningRegistry } from '../harness/registry.ts';
import { Teardown } from '../harness/teardown.ts';
import { runFerry } from '../harness/test-helpers.ts';

let source: RunningRegistry;
let fixtures: Record<FixtureName, FixtureImage>;
let work: string;
let good: { directory: string; archive: string };
const teardown = new Teardown();
const refOf = (name: FixtureName) => `${source.host}/${fixtures[name].repository}:${fixtures[name].tag}`;
const exportTo = (dir: string, ...rest: string[]) => runFerry('export', '--to', dir, '--plain-http', '--authfile', emptyAuthFile, refOf('oci-single'), refOf('oci-index'), ...rest);

beforeAll(async () => {
  source = teardown.add(await startRegistry({ mode: 'anonymous' }), (started) => started.stop());
  fixtures = await buildFixtures();
  await seedFixtures(source, [fixtures['oci-single'], fixtures['oci-index']]);
  work = await mkdtemp(join(tmpdir(), 'ferry-signatures-folder-'));
  good = { directory: join(work, 'directory'), archive: join(work, 'archive') };
  expect((await exportTo(good.directory)).code).toBe(0);
  expect((await exportTo(good.archive, '--archive', '--part-size', String(1024 * 1024))).code).toBe(0);
});

afterAll(async () => {
  await teardown.run();
  if (work) await rm(work, { recursive: true, force: true });
});

let copies = 0;
/** A fresh copy of a good bundle to damage. */
async function copyOf(form: 'directory' | 'archive'): Promise<string> {
  copies += 1;
  const dir = join(work, `copy-${copies}`);
  await cp(good[form], dir, { recursive: true });
  return dir;
}

const filesProblems = (report: VerifyReport): string => report.checks.find((c) => c.id === 'files')?.problems.join('\n') ?? '';
const failed = (report: VerifyReport): string[] => report.checks.filter((c) => !c.ok).map((c) => c.id);
const statement = '{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}';

describe('ferry.json pins index.json', () => {
  it('export writes the digest and size of the exact index.json bytes (directory form)', async () => {
    const manifest = JSON.parse(await readFile(join(good.directory, 'ferry.json'), 'utf8')) as BundleManifest;
    const index = await readFile(join(good.directory, 'index.json'));
    expect(manifest.index).toEqual({ digest: sha256Digest(index), size: index.length });
  });

  it('archive form: the pin names the index.json inside the parts, and the bundle verifies', async () => {
    const manifest = JSON.parse(await readFile(join(good.archive, 'ferry.json'), 'utf8')) as BundleManifest;
    expect(manifest.index?.digest).toMatch(/^sha256:[a-f0-9]{64}$/);
    expect(failed(await verifyBundle(good.archive))).toEqual([]);
  });

  it('an index.json that differs from the pin is refused, naming both digests', async () => {
    const dir = await copyOf('directory');
    const manifest = JSON.parse(await readFile(join(dir, 'ferry.json'), 'utf8')) as BundleManifest;
    const index = await readFile(join(dir, 'index.json'), 'utf8');
    // Same images, other bytes (reformatted): every other check still passes, only the pin notices.
    await writeFile(join(dir, 'index.json'), JSON.stringify(JSON.parse(index)));
    const report = await verifyBundle(dir);
    expect(report.ok).toBe(false);
    expect(failed(report)).toEqual(['files']);
    expect(filesProblems(report)).toContain(`index.json does not match its pin in ferry.json`);
    expect(filesProblems(report)).toContain(manifest.index?.digest ?? 'no pin');
  });

  it('an older bundle without the pin still verifies', async () => {
    const dir = await copyOf('directory');
    const manifest = JSON.parse(await readFile(join(dir, 'ferry.json'), 'utf8')) as BundleManifest & { index?: unknown };
    delete manifest.index;
    await writeFile(join(dir, 'ferry.json'), JSON.stringify(manifest, null, 2));
    expect(failed(await verifyBundle(dir))).toEqual([]);
  });
});

describe('the signatures folder', () => {
  for (const form of ['directory', 'archive'] as const) {
    it(`${form} form: statement files beside ferry.json are allowed (and an empty folder too)`, async () => {
      const dir = await copyOf(form);
      await mkdir(join(dir, 'signatures'));
      expect(failed(await verifyBundle(dir))).toEqual([]);
      await writeFile(join(dir, 'signatures', 'exporter-1.sigstore.json'), statement);
      await writeFile(join(dir, 'signatures', 'officer_2.approval.sigstore.json'), statement);
      // A durable write's temp file left by a pulled drive is harmless.
      await writeFile(join(dir, 'signatures', 'officer_2.approval.sigstore.json.tmp-0123456789ab'), 'half');
      const report = await verifyBundle(dir);
      expect(failed(report)).toEqual([]);
      expect(report.ok).toBe(true);
    });

    it(`${form} form: anything else in the folder is refused by name`, async () => {
      const dir = await copyOf(form);
      await mkdir(join(dir, 'signatures', 'nested'), { recursive: true });
      await writeFile(join(dir, 'signatures', 'notes.txt'), 'hello');
      await writeFile(join(dir, 'signatures', '.hidden.sigstore.json'), statement);
      await writeFile(join(dir, 'signatures', 'big.sigstore.json'), Buffer.alloc(1024 * 1024 + 1, 32));
      await symlink('/etc/passwd', join(dir, 'signatures', 'link.sigstore.json'));
      await writeFile(join(dir, 'signatures', 'ok.sigstore.json'), statement);
      const report = await verifyBundle(dir);
      expect(report.ok).toBe(false);
      expect(failed(report)).toEqual(['files']);
      const problems = filesProblems(report);
      for (const name of ['signatures/nested', 'signatures/notes.txt', 'signatures/.hidden.sigstore.json', 'signatures/big.sigstore.json', 'signatures/link.sigstore.json']) {
        expect(problems).toContain(name);
      }
      expect(problems).toContain('a symbolic link');
      expect(problems).not.toContain('signatures/ok.sigstore.json');
    });
  }

  it('a symlinked signatures folder is refused, and its target is never listed', async () => {
    const dir = await copyOf('directory');
    const elsewhere = join(work, 'elsewhere');
    await mkdir(elsewhere, { recursive: true });
    await writeFile(join(elsewhere, 'secret-name.sigstore.json'), statement);
    await symlink(elsewhere, join(dir, 'signatures'));
    const report = await verifyBundle(dir);
    expect(failed(report)).toEqual(['files']);
    expect(filesProblems(report)).toContain('signatures is a symbolic link, not a folder');
    expect(filesProblems(report)).not.toContain('secret-name');
  });

  it('a signatures file (not a folder) is refused', async () => {
    const dir = await copyOf('archive');
    await writeFile(join(dir, 'signatures'), statement);
    const report = await verifyBundle(dir);
    expect(failed(report)).toEqual(['files']);
    expect(filesProblems(report)).toContain('signatures is a regular file, not a folder');
  });

  it('more than 100 statements are refused', async () => {
    const dir = await copyOf('directory');
    await mkdir(join(dir, 'signatures'));
    for (let i = 0; i < 101; i += 1) await writeFile(join(dir, 'signatures', `key-${i}.sigstore.json`), statement);
    const report = await verifyBundle(dir);
    expect(failed(report)).toEqual(['files']);
    expect(filesProblems(report)).toContain('holds 101 statements, more than a bundle may carry (100)');
  });

  it('export into a folder holding a finished, signed bundle finds it complete', async () => {
    const dir = await copyOf('directory');
    await mkdir(join(dir, 'signatures'));
    await writeFile(join(dir, 'signatures', 'exporter-1.sigstore.json'), statement);
    const again = await exportTo(dir);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('already complete');
  });
});
