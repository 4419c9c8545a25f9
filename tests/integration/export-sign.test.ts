/**
 * `ferry export --sign KEY` and what `ferry verify` says about it (issue 14),
 * end to end against a real registry: a real key made with `ferry key
 * generate`, the signature written beside ferry.json after the seal, verify
 * naming the signer; one changed blob byte fails verification, and a
 * consistently rewritten ferry.json stays "intact" but loses its signature.
 */
import { chmod, cp, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VerifyReport } from '../../src-main/bundle/verify.ts';
import type { BundleManifest } from '../../src-shared/model/bundle.ts';
import { emptyAuthFile } from '../harness/ferry-access.ts';
import { buildFixtures, seedFixtures, type FixtureImage, type FixtureName } from '../harness/fixtures.ts';
import { startRegistry, type RunningRegistry } from '../harness/registry.ts';
import { Teardown } from '../harness/teardown.ts';
import { runFerry } from '../harness/test-helpers.ts';

let source: RunningRegistry;
let fixtures: Record<FixtureName, FixtureImage>;
let work: string;
let passFile: string;
let fingerprint: string;
const teardown = new Teardown();
const refOf = (name: FixtureName) => `${source.host}/${fixtures[name].repository}:${fixtures[name].tag}`;
const exportTo = (dir: string, ...rest: string[]) => runFerry('export', '--to', dir, '--plain-http', '--authfile', emptyAuthFile, refOf('oci-single'), refOf('oci-index'), ...rest);
/** The exporter's statement file: the key's name and the first 16 hex digits of its fingerprint. */
const statementFile = () => `exporter-1-${fingerprint.slice('sha256:'.length, 'sha256:'.length + 16)}.sigstore.json`;
const signFlags = () => ['--sign', 'exporter-1', '--passphrase-file', passFile];
const verifyJson = async (dir: string): Promise<{ code: number; report: VerifyReport }> => {
  const result = await runFerry('verify', dir, '--json');
  return { code: result.code, report: JSON.parse(result.stdout) as VerifyReport };
};

beforeAll(async () => {
  source = teardown.add(await startRegistry({ mode: 'anonymous' }), (started) => started.stop());
  fixtures = await buildFixtures();
  await seedFixtures(source, [fixtures['oci-single'], fixtures['oci-index']]);
  work = await mkdtemp(join(tmpdir(), 'ferry-export-sign-'));
  passFile = join(work, 'pass.txt');
  await writeFile(passFile, 'correct horse battery\n');
  await chmod(passFile, 0o600);
  const generated = await runFerry('key', 'generate', '--name', 'exporter-1', '--passphrase-file', passFile, '--json');
  expect(generated.code, generated.stderr).toBe(0);
  fingerprint = (JSON.parse(generated.stdout) as { fingerprint: string }).fingerprint;
});
afterAll(async () => {
  await teardown.run();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('ferry export --sign', () => {
  const signed = () => join(work, 'signed');

  it('signs the sealed bundle; verify names the signer, not checked against a policy', async () => {
    const result = await exportTo(signed(), ...signFlags());
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`signed by exporter-1 (${fingerprint}): signatures/${statementFile()}`);
    expect((await stat(join(signed(), 'signatures', statementFile()))).isFile()).toBe(true);
    const text = await runFerry('verify', signed());
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`verified: the bundle is intact, signed by exporter-1 (${fingerprint}), not checked against a policy`);
    expect(text.stdout).toContain('signed by exporter-1');
    const { report } = await verifyJson(signed());
    expect(report.trust).toMatchObject({ signed: true, signatures: [{ file: `signatures/${statementFile()}`, keyId: fingerprint, keyName: 'exporter-1', kind: 'export', ok: true }] });
  });

  it('an unsigned bundle verifies as intact, unsigned', async () => {
    const dir = join(work, 'unsigned');
    expect((await exportTo(dir)).code).toBe(0);
    const text = await runFerry('verify', dir);
    expect(text.stdout).toContain('verified: the bundle is intact, unsigned');
    expect((await verifyJson(dir)).report.trust).toEqual({ summary: 'unsigned', signed: false, signatures: [] });
  });

  it('one changed blob byte: verification fails', async () => {
    const dir = join(work, 'tampered-blob');
    await cp(signed(), dir, { recursive: true });
    const manifest = JSON.parse(await readFile(join(dir, 'ferry.json'), 'utf8')) as BundleManifest;
    const blob = [...manifest.blobs].sort((a, b) => b.size - a.size)[0];
    if (blob === undefined) throw new Error('no blob');
    const path = join(dir, 'blobs', 'sha256', blob.digest.slice('sha256:'.length));
    const bytes = await readFile(path);
    bytes[Math.floor(bytes.length / 2)] = (bytes[Math.floor(bytes.length / 2)] ?? 0) ^ 1;
    await writeFile(path, bytes);
    const { code, report } = await verifyJson(dir);
    expect(code).toBe(1);
    expect(report.ok).toBe(false);
    expect(report.checks.find((c) => c.id === 'blobs')?.ok).toBe(false);
    expect(report.trust).toBeUndefined();
  });

  it('ferry.json rewritten consistently (as an attacker would): intact, but the signature no longer counts', async () => {
    const dir = join(work, 'rewritten');
    await cp(signed(), dir, { recursive: true });
    const manifest = JSON.parse(await readFile(join(dir, 'ferry.json'), 'utf8')) as BundleManifest;
    const first = manifest.images[0];
    if (first) first.targets = [{ path: 'kube-system/evil', tag: 'v1' }];
    await writeFile(join(dir, 'ferry.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    const { code, report } = await verifyJson(dir);
    expect(code).toBe(0);
    expect(report.ok).toBe(true);
    expect(report.trust?.signed).toBe(false);
    expect(report.trust?.summary).toBe('unsigned, 1 statement file(s) not verified with a known key');
    expect(report.trust?.signatures[0]).toMatchObject({ keyName: 'exporter-1', ok: false, problem: expect.stringMatching(/is not this ferry.json's/) });
    expect((await runFerry('verify', dir)).stdout).toContain(`FAILED  signatures/${statementFile()}: `);
  });

  it('a wrong passphrase fails before anything is written', async () => {
    const wrong = join(work, 'wrong.txt');
    await writeFile(wrong, 'not it\n');
    await chmod(wrong, 0o600);
    const dir = join(work, 'never');
    const result = await exportTo(dir, '--sign', 'exporter-1', '--passphrase-file', wrong);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('the passphrase is wrong');
    await expect(stat(dir)).rejects.toMatchObject({ code: 'ENOENT' });
    expect((await exportTo(join(work, 'dry'), '--dry-run', ...signFlags())).code).toBe(2);
  });

  it('export --sign again into the finished bundle re-signs it; the archive form signs too', async () => {
    const again = await exportTo(signed(), ...signFlags());
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('already complete');
    expect(again.stdout).toContain('signed by exporter-1');
    expect((await verifyJson(signed())).report.trust?.signed).toBe(true);
    const archive = join(work, 'archive');
    const result = await exportTo(archive, '--archive', '--part-size', String(1024 * 1024), ...signFlags(), '--verify');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('verified:');
    const { report } = await verifyJson(archive);
    expect(report).toMatchObject({ ok: true, form: 'archive', trust: { signed: true } });
  });

  it('a bundle without the index.json pin (made before issue 14) is refused for signing', async () => {
    const dir = join(work, 'old');
    expect((await exportTo(dir)).code).toBe(0);
    const manifest = JSON.parse(await readFile(join(dir, 'ferry.json'), 'utf8')) as BundleManifest & { index?: unknown };
    delete manifest.index;
    await writeFile(join(dir, 'ferry.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    const result = await exportTo(dir, ...signFlags());
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('does not pin index.json');
    await expect(stat(join(dir, 'signatures'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
