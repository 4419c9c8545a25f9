/**
 * `ferry approve` / `ferry reject` on a real bundle exported from a real
 * registry: the statement written beside ferry.json verifies with
 * @sigstore/verify used on its own and with Ferry's verifier, each with the
 * public key only; it names the site policy's digest; a later decision by the
 * same key replaces the earlier one; a rejection is in the audit log; and a
 * rejection without a note, a wrong passphrase, a tampered bundle, a plain
 * layout and a ferry.json without the index pin are each refused with
 * nothing written.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Catalog } from '../../src-main/catalog/index.ts';
import { main } from '../../src-main/cli/main.ts';
import { APPROVAL_PREDICATE_TYPE, verifyFerryJsonSignature } from '../../src-main/trust/bundle-signature.ts';
import { keyFingerprint } from '../../src-main/trust/keys.ts';
import { localKnownKeys, readStatements, statementFileName } from '../../src-main/trust/statements.ts';
import { decideBundle } from '../../src-main/usecases/approve.ts';
import type { BundleManifest } from '../../src-shared/model/bundle.ts';
import { emptyAuthFile } from '../harness/ferry-access.ts';
import { buildFixtures, seedFixtures } from '../harness/fixtures.ts';
import { startRegistry } from '../harness/registry.ts';
import { sigstoreVerify } from '../harness/sigstore-check.ts';
import { Teardown } from '../harness/teardown.ts';
import { runFerry } from '../harness/test-helpers.ts';

const PASSPHRASE = 'officer passphrase 7';
const teardown = new Teardown();
let root = '';
let keys = '';
let passFile = '';
let exported = '';
let copies = 0;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'ferry-approve-'));
  keys = join(root, 'keys');
  passFile = join(root, 'pass.txt');
  await writeFile(passFile, `${PASSPHRASE}\n`, { mode: 0o600 });
  for (const [name, algorithm] of [
    ['officer-1', 'ecdsa-p256'],
    ['officer-ed', 'ed25519'],
    ['stranger', 'ecdsa-p256'],
  ] as const) {
    const made = await runFerry('key', 'generate', '--name', name, '--algorithm', algorithm, '--out', keys, '--passphrase-file', passFile);
    expect(made.code, made.stderr).toBe(0);
  }
  const registry = teardown.add(await startRegistry({ mode: 'anonymous' }), (started) => started.stop());
  const fixture = (await buildFixtures())['oci-single'];
  await seedFixtures(registry, [fixture]);
  exported = join(root, 'exported');
  const result = await runFerry('export', '--to', exported, '--plain-http', '--authfile', emptyAuthFile, `${registry.host}/${fixture.repository}:${fixture.tag}`);
  expect(result.code, result.stderr).toBe(0);
});

afterAll(async () => {
  await teardown.run();
  if (root !== '') await rm(root, { recursive: true, force: true });
});

/** A fresh copy of the exported bundle and a site folder (catalog, maybe a policy) of its own. */
async function freshSite(): Promise<{ bundle: string; catalog: string; site: string }> {
  copies += 1;
  const bundle = join(root, `bundle-${copies}`);
  const site = join(root, `site-${copies}`);
  await cp(exported, bundle, { recursive: true });
  await mkdir(site);
  return { bundle, catalog: join(site, 'catalog.sqlite'), site };
}

/** Runs a decision through the CLI with the test's keys folder and passphrase file. */
function decide(verb: 'approve' | 'reject', bundle: string, catalog: string, ...rest: string[]): ReturnType<typeof runFerry> {
  return runFerry(verb, bundle, '--keys-dir', keys, '--passphrase-file', passFile, '--catalog', catalog, ...rest);
}

/** The public key of a test key, read from its .pub file alone, with its fingerprint. */
async function publicKeyOf(name: string): Promise<{ publicKey: KeyObject; keyId: string }> {
  const publicKey = createPublicKey(await readFile(join(keys, `${name}.pub`), 'utf8'));
  return { publicKey, keyId: keyFingerprint(publicKey) };
}

/** The file name a test key's decision is written under (its name and fingerprint). */
async function decisionFileName(name: string): Promise<string> {
  return statementFileName(name, 'approval', (await publicKeyOf(name)).keyId);
}

/** The statement file a key's decision is written to, parsed. */
async function statementOf(bundle: string, name: string): Promise<unknown> {
  return JSON.parse(await readFile(join(bundle, 'signatures', await decisionFileName(name)), 'utf8')) as unknown;
}

/** The audit rows a catalog holds, oldest first. */
function auditRows(catalogPath: string): ReturnType<Catalog['auditLog']> {
  const catalog = Catalog.open(catalogPath);
  try {
    expect(catalog.checkAudit().ok).toBe(true);
    return catalog.auditLog(100).reverse();
  } finally {
    catalog.close();
  }
}

describe('ferry approve', () => {
  it('writes an approval that @sigstore/verify and Ferry verify with the public key only, and records it', async () => {
    const { bundle, catalog } = await freshSite();
    const result = await decide('approve', bundle, catalog, '--key', 'officer-1', '--note', 'CHG-1234 reviewed');
    expect(result.code, result.stderr).toBe(0);
    const file = join(bundle, 'signatures', await decisionFileName('officer-1'));
    expect(result.stdout).toContain(`wrote ${file}`);
    expect(result.stdout).toContain('no site policy');
    expect(await readdir(join(bundle, 'signatures'))).toEqual([await decisionFileName('officer-1')]);
    const text = await readFile(file, 'utf8');
    expect(text + result.stdout + result.stderr).not.toContain(PASSPHRASE);

    const statement = await statementOf(bundle, 'officer-1');
    const { publicKey, keyId } = await publicKeyOf('officer-1');
    sigstoreVerify(statement, publicKey, keyId);
    const ferryJson = await readFile(join(bundle, 'ferry.json'));
    const verified = verifyFerryJsonSignature(statement, ferryJson, new Map([[keyId, publicKey]]));
    expect(verified.keyId).toBe(keyId);
    expect(verified.predicateType).toBe(APPROVAL_PREDICATE_TYPE);
    expect(verified.predicate).toEqual({
      decision: 'approve',
      reviewer: 'officer-1',
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      note: 'CHG-1234 reviewed',
      policyDigest: null,
      allowRollback: false,
    });
    // Another key does not make it verify, and another ferry.json is not what it approved.
    const stranger = await publicKeyOf('stranger');
    expect(() => sigstoreVerify(statement, stranger.publicKey, keyId)).toThrow();
    expect(() => verifyFerryJsonSignature(statement, Buffer.concat([ferryJson, Buffer.from(' ')]), new Map([[keyId, publicKey]]))).toThrow(/digest/);

    const manifest = JSON.parse(ferryJson.toString('utf8')) as BundleManifest;
    const rows = auditRows(catalog).filter((row) => row.action === 'approve');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      subject: manifest.bundleId,
      details: { keyId, keyName: 'officer-1', note: 'CHG-1234 reviewed', file: `signatures/${await decisionFileName('officer-1')}`, policyDigest: null },
    });
  });

  it('names the digest of the policy beside the catalog, and warns when that policy does not trust the key as an officer', async () => {
    const { bundle, catalog, site } = await freshSite();
    const policyText = `# site policy\ntrustedKeys:\n  - name: officer-1\n    role: officer\n    publicKey: ${join(keys, 'officer-1.pub')}\n`;
    await writeFile(join(site, 'policy.yaml'), policyText);
    const { sha256Digest } = await import('../../src-main/oci/digest.ts');
    // The key lives in a .pub file, so its fingerprint follows the policy's bytes in the digest (docs/trust.md "Site policy").
    const digest = sha256Digest(Buffer.from(`${policyText}\n# key officer-1 ${(await publicKeyOf('officer-1')).keyId}`));

    const approved = await decide('approve', bundle, catalog, '--key', 'officer-1', '--allow-rollback', '--json');
    expect(approved.code, approved.stderr).toBe(0);
    expect(approved.stderr).not.toContain('warning');
    expect(JSON.parse(approved.stdout)).toMatchObject({
      file: `signatures/${await decisionFileName('officer-1')}`,
      kind: 'approval',
      role: 'officer',
      policyDigest: digest,
      allowRollback: true,
      ok: true,
    });
    const { publicKey, keyId } = await publicKeyOf('officer-1');
    const verified = verifyFerryJsonSignature(await statementOf(bundle, 'officer-1'), await readFile(join(bundle, 'ferry.json')), new Map([[keyId, publicKey]]));
    expect(verified.predicate).toMatchObject({ policyDigest: digest, allowRollback: true, note: null });

    const other = await decide('approve', bundle, catalog, '--key', 'stranger', '--reviewer', 'Dana Officer');
    expect(other.code, other.stderr).toBe(0);
    expect(other.stderr).toContain('the site policy does not trust key stranger as an officer');
    expect(other.stdout).toContain(`policy ${digest}`);
    expect(other.stdout).toContain('reviewer Dana Officer');

    const missing = await decide('approve', bundle, catalog, '--key', 'officer-1', '--policy', join(site, 'nope.yaml'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('nope.yaml');
  });

  it('signs with an Ed25519 key, verified by @sigstore/verify from the public key', async () => {
    const { bundle, catalog } = await freshSite();
    const result = await decide('approve', bundle, catalog, '--key', join(keys, 'officer-ed.key'));
    expect(result.code, result.stderr).toBe(0);
    const { publicKey, keyId } = await publicKeyOf('officer-ed');
    sigstoreVerify(await statementOf(bundle, 'officer-ed'), publicKey, keyId);
  });

  it('asks for the passphrase on a terminal without echo when no file is given', async () => {
    const { bundle, catalog } = await freshSite();
    const rawModes: boolean[] = [];
    const terminal = Object.assign(new PassThrough(), { isTTY: true as const, setRawMode: (mode: boolean) => void rawModes.push(mode) });
    terminal.write(`${PASSPHRASE}\r`);
    const err = new PassThrough();
    const code = await main(['approve', bundle, '--key', 'officer-1', '--keys-dir', keys, '--catalog', catalog], new PassThrough(), err, terminal);
    const shownText = String(err.read() ?? '');
    expect(code, shownText).toBe(0);
    expect(shownText).toContain('Passphrase for key officer-1: ');
    expect(shownText).not.toContain(PASSPHRASE);
    expect(rawModes).toEqual([true, false]);
  });
});

describe('ferry reject', () => {
  it('is recorded in the audit log, and replaces the same key’s earlier approval', async () => {
    const { bundle, catalog } = await freshSite();
    const approved = await decide('approve', bundle, catalog, '--key', 'officer-1');
    expect(approved.code).toBe(0);
    expect(approved.stdout).toContain('approved');
    const result = await decide('reject', bundle, catalog, '--key', 'officer-1', '--note', 'image not cleared by CAB', '--json');
    expect(result.code, result.stderr).toBe(0);
    // What the command answers is what the statements reader finds on the drive.
    const found = await readStatements(bundle, await readFile(join(bundle, 'ferry.json')), await localKnownKeys(keys));
    expect(found).toEqual([JSON.parse(result.stdout)]);
    expect(found[0]).toMatchObject({ kind: 'rejection', ok: true, keyName: 'officer-1', note: 'image not cleared by CAB' });
    expect(await readdir(join(bundle, 'signatures'))).toEqual([await decisionFileName('officer-1')]);
    const { publicKey, keyId } = await publicKeyOf('officer-1');
    const verified = verifyFerryJsonSignature(await statementOf(bundle, 'officer-1'), await readFile(join(bundle, 'ferry.json')), new Map([[keyId, publicKey]]));
    expect(verified.predicate).toMatchObject({ decision: 'reject', note: 'image not cleared by CAB', allowRollback: false });

    const rows = auditRows(catalog);
    expect(rows.map((row) => row.action)).toEqual(['approve', 'reject']);
    expect(rows[1]?.details).toMatchObject({ keyId, reviewer: 'officer-1', note: 'image not cleared by CAB' });
    // The bundle with its signatures folder still verifies.
    expect((await runFerry('verify', bundle)).code).toBe(0);
  });

  it('is refused without a note, through the CLI and the use case, writing nothing', async () => {
    const { bundle, catalog } = await freshSite();
    const cli = await decide('reject', bundle, catalog, '--key', 'officer-1');
    expect(cli.code).toBe(2);
    expect(cli.stderr).toContain('ferry reject needs --note TEXT');
    const opened = Catalog.open(catalog);
    try {
      await expect(decideBundle({ bundle, key: 'officer-1', keysDir: keys, passphrase: PASSPHRASE, decision: 'reject', note: '   ' }, opened)).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        message: expect.stringContaining('a rejection needs a note'),
      });
      const base = { bundle, key: 'officer-1', keysDir: keys, passphrase: PASSPHRASE, decision: 'reject' } as const;
      for (const bad of [{ note: 'no', allowRollback: true }, { note: 'escape \u001b[31m red' }, { note: 'x'.repeat(4001) }, { note: 'ok', reviewer: 'two\nlines' }, { note: 'ok', reviewer: ' ' }]) {
        await expect(decideBundle({ ...base, ...bad }, opened), JSON.stringify(bad).slice(0, 60)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      }
    } finally {
      opened.close();
    }
    await expect(readdir(join(bundle, 'signatures'))).rejects.toThrow();
    expect(auditRows(catalog)).toEqual([]);
  });
});

describe('refusals', () => {
  it('a wrong passphrase is refused, writing nothing', async () => {
    const { bundle, catalog } = await freshSite();
    const wrong = join(root, 'wrong-pass.txt');
    await writeFile(wrong, 'not it\n', { mode: 0o600 });
    const result = await runFerry('approve', bundle, '--key', 'officer-1', '--keys-dir', keys, '--passphrase-file', wrong, '--catalog', catalog);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('the passphrase is wrong');
    expect(result.stderr).not.toContain('not it');
    await expect(readdir(join(bundle, 'signatures'))).rejects.toThrow();
  });

  it('a bundle with one changed byte in a blob is refused before anything is signed', async () => {
    const { bundle, catalog } = await freshSite();
    const manifest = JSON.parse(await readFile(join(bundle, 'ferry.json'), 'utf8')) as BundleManifest;
    const blob = manifest.blobs.reduce((largest, b) => (b.size > largest.size ? b : largest));
    const path = join(bundle, 'blobs', 'sha256', blob.digest.slice('sha256:'.length));
    const bytes = await readFile(path);
    bytes[Math.floor(bytes.length / 2)] = (bytes[Math.floor(bytes.length / 2)] ?? 0) ^ 1;
    await writeFile(path, bytes);
    const result = await decide('approve', bundle, catalog, '--key', 'officer-1');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('failed verification');
    expect(result.stderr).toContain('it cannot be approved');
    await expect(readdir(join(bundle, 'signatures'))).rejects.toThrow();
    expect(auditRows(catalog)).toEqual([]);
  });

  it('a plain OCI layout (no ferry.json) is refused', async () => {
    const { bundle, catalog } = await freshSite();
    await rm(join(bundle, 'ferry.json'));
    const result = await decide('approve', bundle, catalog, '--key', 'officer-1');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('is a plain OCI layout without ferry.json');
    await expect(readdir(join(bundle, 'signatures'))).rejects.toThrow();
  });

  it('a ferry.json without the index pin is refused: a signature over it would not cover index.json', async () => {
    const { bundle, catalog } = await freshSite();
    const manifest = JSON.parse(await readFile(join(bundle, 'ferry.json'), 'utf8')) as BundleManifest & { index?: unknown };
    expect(manifest.index).toBeDefined();
    delete manifest.index;
    await writeFile(join(bundle, 'ferry.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    expect((await runFerry('verify', bundle)).code).toBe(0);
    const result = await decide('approve', bundle, catalog, '--key', 'officer-1');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('does not pin index.json');
    await expect(readdir(join(bundle, 'signatures'))).rejects.toThrow();
  });
});
