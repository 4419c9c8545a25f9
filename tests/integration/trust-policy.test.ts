/**
 * Issue 14, "Done when" (site policy): against a real docker-registry behind a
 * recording proxy, each bundle the policy must refuse is refused by
 * `ferry import` (dry run and real) with the failing rule named, and the
 * registry saw no write (no PUT, POST, PATCH or DELETE): a bundle rewritten
 * consistently as an attacker would (intact, unsigned), a signed bundle with
 * one changed byte, the exporter's key alone under a two-person policy, an
 * expired bundle, a replayed older sequence, a blocked image, a target outside
 * allowedTargets and a moved tag with overwriteTags: false. A signed and
 * approved bundle passes and records the decision in the receipt and the audit
 * log; Ferry's signature verifies with @sigstore/verify given the public key only.
 */
import { createHash, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, writeFile, mkdir, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleFromJSON } from '@sigstore/bundle';
import { toSignedEntity, Verifier, type TrustMaterial } from '@sigstore/verify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Catalog } from '../../src-main/catalog/index.ts';
import { reviewBundle } from '../../src-main/usecases/trust-review.ts';
import { verifyWithView } from '../../src-main/usecases/verify.ts';
import { APPROVAL_PREDICATE_TYPE, signFerryJson, signFerryStatement } from '../../src-main/trust/bundle-signature.ts';
import { keyFingerprint } from '../../src-main/trust/keys.ts';
import { statementFileName } from '../../src-main/trust/statements.ts';
import { emptyAuthFile } from '../harness/ferry-access.ts';
import { startFaultProxy, type FaultProxy } from '../harness/fault-proxy.ts';
import { buildFixtures, seedFixtures, type FixtureImage, type FixtureName } from '../harness/fixtures.ts';
import { startRegistry, type RunningRegistry } from '../harness/registry.ts';
import { Teardown } from '../harness/teardown.ts';
import { runFerry } from '../harness/test-helpers.ts';

interface TestKey {
  name: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  keyId: string;
  pubFile: string;
}

let source: RunningRegistry;
let site: RunningRegistry;
let proxy: FaultProxy;
let fixtures: Record<FixtureName, FixtureImage>;
let work: string;
let exporter: TestKey;
let officer: TestKey;
/** A plain exported bundle of oci-single, the master every case copies. */
let master: string;
const teardown = new Teardown();
const plain = ['--plain-http', '--authfile', emptyAuthFile];
const WRITES = new Set(['PUT', 'POST', 'PATCH', 'DELETE']);

const refOf = (name: FixtureName): string => `${source.host}/${fixtures[name].repository}:${fixtures[name].tag}`;
const sha256 = (bytes: Buffer): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

async function makeKey(name: string): Promise<TestKey> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pubFile = join(work, `${name}.pub`);
  await writeFile(pubFile, publicKey.export({ type: 'spki', format: 'pem' }));
  return { name, privateKey, publicKey, keyId: keyFingerprint(publicKey), pubFile };
}

beforeAll(async () => {
  source = teardown.add(await startRegistry({ mode: 'anonymous' }), (started) => started.stop());
  site = teardown.add(await startRegistry({ mode: 'anonymous' }), (started) => started.stop());
  proxy = teardown.add(await startFaultProxy({ upstream: site.url }), (started) => started.stop());
  fixtures = await buildFixtures();
  await seedFixtures(source, [fixtures['oci-single'], fixtures['docker-schema2']]);
  work = await mkdtemp(join(tmpdir(), 'ferry-trust-policy-'));
  exporter = await makeKey('exporter-1');
  officer = await makeKey('officer-1');
  master = join(work, 'master');
  const exported = await runFerry('export', '--to', master, refOf('oci-single'), ...plain, '--catalog', join(work, 'connected.sqlite'));
  expect(exported.code, exported.stderr).toBe(0);
}, 120_000);

afterAll(async () => {
  await teardown.run();
  if (work) await rm(work, { recursive: true, force: true });
});

/** A fresh copy of the master bundle, with ferry.json changed by `edit` (before anything signs it). */
async function copyBundle(name: string, edit?: (manifest: Record<string, unknown>) => void): Promise<string> {
  const dir = join(work, name);
  await cp(master, dir, { recursive: true });
  if (edit) {
    const manifest = JSON.parse(await readFile(join(dir, 'ferry.json'), 'utf8')) as Record<string, unknown>;
    edit(manifest);
    await writeFile(join(dir, 'ferry.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  }
  return dir;
}

/** Signs ferry.json's exact bytes as the exporter would, into signatures/. */
async function sign(dir: string, key: TestKey): Promise<void> {
  const bundle = await signFerryJson(await readFile(join(dir, 'ferry.json')), { privateKey: key.privateKey, keyId: key.keyId });
  await mkdir(join(dir, 'signatures'), { recursive: true });
  await writeFile(join(dir, 'signatures', statementFileName(key.name, 'export', key.keyId)), JSON.stringify(bundle));
}

/** Writes an officer's approval of ferry.json, as `ferry approve` does. */
async function approve(dir: string, key: TestKey, extra: { allowRollback?: boolean; time?: string } = {}): Promise<void> {
  const predicate = { decision: 'approve', reviewer: 'Olga Officer', time: extra.time ?? new Date().toISOString(), note: 'checked', policyDigest: null, allowRollback: extra.allowRollback === true };
  const bundle = await signFerryStatement(await readFile(join(dir, 'ferry.json')), { privateKey: key.privateKey, keyId: key.keyId }, APPROVAL_PREDICATE_TYPE, predicate);
  await mkdir(join(dir, 'signatures'), { recursive: true });
  await writeFile(join(dir, 'signatures', statementFileName(key.name, 'approval', key.keyId)), JSON.stringify(bundle));
}

/** A policy file trusting the two keys, with `rules` appended. */
async function policyFile(name: string, rules: string): Promise<string> {
  const file = join(work, `${name}.yaml`);
  await writeFile(file, `trustedKeys:\n  - {name: exporter-1, role: exporter, publicKey: ${exporter.pubFile}}\n  - {name: officer-1, role: officer, publicKey: ${officer.pubFile}}\n${rules}`);
  return file;
}

const TWO_PERSON = 'require: {exporter: 1, officer: 1}\n';

/** Runs an import through the proxy; returns the result and the write requests the registry saw. */
async function importThrough(
  dir: string,
  policy: string,
  catalogFile: string,
  extra: string[] = [],
): Promise<{ code: number; error?: { code: string; message: string }; writes: string[]; stdout: string }> {
  proxy.requests.length = 0;
  const result = await runFerry('import', dir, '--to', `${proxy.host}/mirror`, ...plain, '--catalog', catalogFile, '--policy', policy, '--json', ...extra);
  const writes = proxy.requests.filter((r) => WRITES.has(r.method)).map((r) => `${r.method} ${r.path}`);
  const parsed = result.code === 0 ? {} : (JSON.parse(result.stdout) as { error?: { code: string; message: string } });
  return { code: result.code, ...(parsed.error ? { error: parsed.error } : {}), writes, stdout: result.stdout };
}

/** Asserts the import (dry run, then real) is refused (by the policy, naming `rule`, unless another code is expected) with no write reaching the registry. */
async function expectRefused(dir: string, policy: string, rule: string, catalogFile = join(work, `site-${Math.random().toString(36).slice(2)}.sqlite`), code = 'POLICY_REFUSED'): Promise<void> {
  for (const dryRun of [['--dry-run'], []]) {
    const result = await importThrough(dir, policy, catalogFile, dryRun);
    expect(result.code, result.stdout).not.toBe(0);
    expect(result.error?.code, result.error?.message).toMatch(new RegExp(`^(${code})$`));
    expect(result.error?.message).toContain(rule);
    expect(result.error?.message).toContain('nothing was written');
    expect(result.writes).toEqual([]);
  }
}

/**
 * Rewrites the image's config blob as an attacker with the drive would, and
 * everything that pins it: the manifest, index.json and ferry.json (image
 * digest, blobs[], the index pin), dropping the signatures: consistent again.
 */
async function rewriteConsistently(dir: string): Promise<void> {
  const blobPath = (digest: string): string => join(dir, 'blobs', 'sha256', digest.slice('sha256:'.length));
  const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string; size: number }> };
  const entry = index.manifests[0];
  if (!entry) throw new Error('no image in index.json');
  const manifest = JSON.parse(await readFile(blobPath(entry.digest), 'utf8')) as { config: { digest: string; size: number } };
  const config = JSON.parse(await readFile(blobPath(manifest.config.digest), 'utf8')) as Record<string, unknown>;
  const newConfig = Buffer.from(JSON.stringify({ ...config, author: 'attacker' }));
  const oldConfig = { ...manifest.config };
  manifest.config = { ...manifest.config, digest: sha256(newConfig), size: newConfig.length };
  const newManifest = Buffer.from(JSON.stringify(manifest));
  const oldManifest = { digest: entry.digest, size: entry.size };
  Object.assign(entry, { digest: sha256(newManifest), size: newManifest.length });
  const newIndex = Buffer.from(JSON.stringify(index));
  await writeFile(blobPath(sha256(newConfig)), newConfig);
  await writeFile(blobPath(sha256(newManifest)), newManifest);
  await unlink(blobPath(oldConfig.digest));
  await unlink(blobPath(oldManifest.digest));
  await writeFile(join(dir, 'index.json'), newIndex);
  const ferry = JSON.parse(await readFile(join(dir, 'ferry.json'), 'utf8')) as {
    images: Array<{ digest: string; size: number }>;
    blobs: Array<{ digest: string; size: number }>;
    index?: { digest: string; size: number };
  };
  const swap = (old: { digest: string; size: number }, now: Buffer): void => {
    for (const blob of ferry.blobs) if (blob.digest === old.digest) Object.assign(blob, { digest: sha256(now), size: now.length });
  };
  swap(oldConfig, newConfig);
  swap(oldManifest, newManifest);
  for (const image of ferry.images) {
    if (image.digest !== oldManifest.digest) continue;
    image.digest = sha256(newManifest);
    image.size += newConfig.length - oldConfig.size + newManifest.length - oldManifest.size;
  }
  if (ferry.index) ferry.index = { digest: sha256(newIndex), size: newIndex.length };
  await writeFile(join(dir, 'ferry.json'), `${JSON.stringify(ferry, null, 2)}\n`);
  await rm(join(dir, 'signatures'), { recursive: true, force: true });
}

describe('site policy at import', () => {
  it('lets a signed and approved bundle in, recording the decision in the receipt and the audit log', async () => {
    const dir = await copyBundle('good');
    await sign(dir, exporter);
    await approve(dir, officer);
    const policy = await policyFile('good', TWO_PERSON);
    const catalogFile = join(work, 'site-good.sqlite');
    const verified = await runFerry('verify', dir, '--policy', policy, '--to', `${proxy.host}/mirror`, ...plain, '--catalog', catalogFile);
    expect(verified.code, verified.stdout).toBe(0);
    expect(verified.stdout).toMatch(/ok {6}approvals: .*\n {12}- approved by officer-1 \(1 of 1 required\)/);
    expect(verified.stdout).toContain('accepted by the site policy');
    const result = await importThrough(dir, policy, catalogFile);
    expect(result.code, result.stdout).toBe(0);
    expect(result.writes.length).toBeGreaterThan(0);
    const receipt = JSON.parse(await readFile(join(dir, 'ferry-receipt.json'), 'utf8')) as { policy?: { ok: boolean; digest: string; signedBy: string[]; approvedBy: string[] } };
    // Both keys are .pub files: their fingerprints follow the policy's bytes in its digest.
    const policyDigest = sha256(Buffer.concat([await readFile(policy), Buffer.from(`\n# key exporter-1 ${exporter.keyId}\n# key officer-1 ${officer.keyId}`)]));
    expect(receipt.policy).toMatchObject({ ok: true, digest: policyDigest, signedBy: ['exporter-1'], approvedBy: ['officer-1'] });
    const catalog = Catalog.open(catalogFile);
    try {
      const actions = catalog.auditLog(50).map((entry) => entry.action);
      expect(actions).toContain('policy.changed');
      expect(actions).toContain('import.policy-passed');
    } finally {
      catalog.close();
    }
  });

  it('refuses a bundle rewritten consistently: it verifies intact and unsigned, and the signature rule fails', async () => {
    const dir = await copyBundle('rewritten');
    await sign(dir, exporter);
    await rewriteConsistently(dir);
    const verified = await runFerry('verify', dir, '--json');
    expect(verified.code, verified.stdout).toBe(0);
    const report = JSON.parse(verified.stdout) as { ok: boolean; trust?: { summary: string; signed: boolean } };
    expect(report.ok).toBe(true);
    expect(report.trust).toMatchObject({ summary: 'unsigned', signed: false });
    const text = await runFerry('verify', dir);
    expect(text.stdout).toContain('verified: the bundle is intact');
    expect(text.stdout).toContain('unsigned');
    await expectRefused(dir, await policyFile('rewritten', 'require: {exporter: 1}\n'), 'signatures');
  });

  it('refuses a signed bundle with one byte changed in ferry.json, its signature or a blob', async () => {
    const policy = await policyFile('one-byte', 'require: {exporter: 1}\n');
    const blob = (dir: string): string => join(dir, 'blobs', 'sha256', fixtures['oci-single'].blobs[0]?.digest.slice('sha256:'.length) ?? '');
    for (const [name, fileOf, marker, rule] of [
      // A digit of ferry.json's creation time: still a valid ferry.json, so only the signature can tell.
      ['byte-ferry', (dir: string) => join(dir, 'ferry.json'), '"created": "2', 'signatures'],
      ['byte-signature', (dir: string) => join(dir, 'signatures', statementFileName(exporter.name, 'export', exporter.keyId)), '"sig":"', 'signatures'],
      ['byte-blob', blob, undefined, 'blob'],
    ] as const) {
      const dir = await copyBundle(name);
      await sign(dir, exporter);
      const path = fileOf(dir);
      const bytes = await readFile(path);
      const at = marker === undefined ? Math.floor(bytes.length / 2) : bytes.indexOf(marker) + marker.length + 2;
      bytes[at] = bytes[at] === 0x31 ? 0x32 : 0x31;
      await writeFile(path, bytes);
      await expectRefused(dir, policy, rule, undefined, marker === undefined ? 'DIGEST_MISMATCH|BUNDLE_INVALID' : 'POLICY_REFUSED');
    }
  });

  it("refuses the exporter's key alone under a two-person policy", async () => {
    const dir = await copyBundle('two-person');
    await sign(dir, exporter);
    const policy = await policyFile('two-person', TWO_PERSON);
    const verified = await runFerry('verify', dir, '--policy', policy, '--catalog', join(work, 'verify.sqlite'));
    expect(verified.code).toBe(1);
    expect(verified.stdout).toMatch(/FAILED {2}approvals: .*\n {12}- no counted officer approval \(0 of 1 required\)/);
    expect(verified.stdout).toContain('allowed-targets: every write under an allowed target\n            - not checked: no import target was given');
    await expectRefused(dir, policy, 'approvals');
  });

  it('refuses an expired bundle', async () => {
    const dir = await copyBundle('expired', (m) => {
      m.created = '2026-01-01T00:00:00.000Z';
    });
    await sign(dir, exporter);
    await expectRefused(dir, await policyFile('expired', 'require: {exporter: 1}\nmaxAge: 30d\n'), 'max-age');
  });

  it('refuses a replayed older sequence on the same channel', async () => {
    const catalogFile = join(work, 'site-rollback.sqlite');
    const policy = await policyFile('rollback', 'require: {exporter: 1}\n');
    const newer = await copyBundle('seq-2', (m) => {
      m.channel = 'connected.example/images';
      m.sequence = 2;
    });
    await sign(newer, exporter);
    const first = await importThrough(newer, policy, catalogFile);
    expect(first.code, first.stdout).toBe(0);
    const second = join(work, 'seq-1');
    const exported = await runFerry('export', '--to', second, refOf('oci-single'), ...plain, '--catalog', join(work, 'connected-2.sqlite'));
    expect(exported.code, exported.stderr).toBe(0);
    const text = JSON.parse(await readFile(join(second, 'ferry.json'), 'utf8')) as Record<string, unknown>;
    await writeFile(join(second, 'ferry.json'), `${JSON.stringify({ ...text, channel: 'connected.example/images', sequence: 1 }, null, 2)}\n`);
    await sign(second, exporter);
    await expectRefused(second, policy, 'rollback', catalogFile);
  });

  it('refuses a blocked image and a target outside allowedTargets', async () => {
    const dir = await copyBundle('blocked');
    await expectRefused(dir, await policyFile('blocked', `blockedImages: ["${source.host}/${fixtures['oci-single'].repository}"]\n`), 'blocked-images');
    await expectRefused(dir, await policyFile('targets', `allowedTargets: ["${proxy.host}/elsewhere"]\n`), 'allowed-targets');
  });

  it('refuses to move an existing tag when overwriteTags is false', async () => {
    const target = `${site.host}/mirror/${fixtures['oci-single'].repository}:${fixtures['oci-single'].tag}`;
    const copied = await runFerry('copy', refOf('docker-schema2'), target, ...plain);
    expect(copied.code, copied.stderr).toBe(0);
    const dir = await copyBundle('moved');
    const policy = await policyFile('moved', 'overwriteTags: false\n');
    await expectRefused(dir, policy, 'overwrite-tags');
    // The Review step shows the same: the tag moves (old digest → new), and the push is not allowed, saying why.
    const { view } = await verifyWithView(dir);
    if (!view) throw new Error('the bundle did not verify');
    const catalog = Catalog.open(join(work, 'review.sqlite'));
    try {
      proxy.requests.length = 0;
      const review = await reviewBundle(view, { target: `${proxy.host}/mirror`, registry: { plainHttp: true, authFile: emptyAuthFile }, policyPath: policy }, catalog);
      expect(review.changes).toEqual([
        expect.objectContaining({ tag: fixtures['oci-single'].tag, status: 'moved', previous: fixtures['docker-schema2'].manifestDigest, digest: fixtures['oci-single'].manifestDigest }),
      ]);
      expect(review.pushAllowed).toBe(false);
      expect(review.blockedReason).toContain('overwrite-tags');
      expect(review.trust.summary).toBe('policy failed: overwrite-tags');
      expect(proxy.requests.filter((r) => WRITES.has(r.method))).toEqual([]);
    } finally {
      catalog.close();
    }
  });
});

describe('an independent verifier', () => {
  it("verifies Ferry's bundle signature with @sigstore/verify and the public key alone", async () => {
    const ferryJson = await readFile(join(master, 'ferry.json'));
    const serialized = await signFerryJson(ferryJson, { privateKey: exporter.privateKey, keyId: exporter.keyId });
    // Only the public key's PEM, as the officer carries it across the gap: no Ferry code between it and the verifier.
    const verifierFor = (pem: string): Verifier => {
      const material: TrustMaterial = {
        certificateAuthorities: [],
        timestampAuthorities: [],
        tlogs: [],
        ctlogs: [],
        publicKey: () => ({ publicKey: createPublicKey(pem), validFor: () => true }),
      };
      return new Verifier(material, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 });
    };
    const entity = toSignedEntity(bundleFromJSON(JSON.parse(JSON.stringify(serialized))));
    const pem = await readFile(exporter.pubFile, 'utf8');
    expect(() => verifierFor(pem).verify(entity)).not.toThrow();
    expect(() => verifierFor(officer.publicKey.export({ type: 'spki', format: 'pem' }).toString()).verify(entity)).toThrow();
    const statement = JSON.parse(Buffer.from(serialized.dsseEnvelope?.payload ?? '', 'base64').toString('utf8')) as { subject: Array<{ name: string; digest: { sha256: string } }> };
    expect(statement.subject[0]?.name).toBe('ferry.json');
    expect(`sha256:${statement.subject[0]?.digest.sha256 ?? ''}`).toBe(sha256(ferryJson));
  });
});
