/**
 * `ferry key generate --algorithm ed25519`, end to end: openssl sees an
 * Ed25519 key sealed by the passphrase, and a ferry.json statement signed
 * with it verifies with @sigstore/verify used on its own with the public key
 * only (it verifies DSSE through Node's crypto.verify with no digest name,
 * which is what Ed25519 takes), and with Ferry's verifier; one changed byte
 * of ferry.json or of the signature is refused.
 */
import { execFile } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APPROVAL_PREDICATE_TYPE, signFerryStatement, verifyFerryJsonSignature } from '../../src-main/trust/bundle-signature.ts';
import { keyFingerprint, readSigningKey } from '../../src-main/trust/keys.ts';
import { sigstoreVerify } from '../harness/sigstore-check.ts';
import { runFerry } from '../harness/test-helpers.ts';

const run = promisify(execFile);
const PASSPHRASE = 'ed25519 passphrase';
let root = '';
let dir = '';
let secret = '';

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'ferry-ed25519-'));
  dir = join(root, 'keys');
  secret = join(root, 'pass.txt');
  await writeFile(secret, `${PASSPHRASE}\n`, { mode: 0o600 });
});
afterAll(async () => {
  if (root !== '') await rm(root, { recursive: true, force: true });
});

describe('Ed25519 keys', () => {
  it('generate --algorithm ed25519 writes an Ed25519 key sealed by the passphrase, listed as Ed25519', async () => {
    const made = await runFerry('key', 'generate', '--name', 'officer-ed', '--algorithm', 'ed25519', '--out', dir, '--passphrase-file', secret, '--json');
    expect(made.code, made.stderr).toBe(0);
    expect(JSON.parse(made.stdout)).toMatchObject({ name: 'officer-ed', algorithm: 'Ed25519' });
    const text = (await run('openssl', ['pkey', '-in', join(dir, 'officer-ed.key'), '-passin', `file:${secret}`, '-text', '-noout'])).stdout;
    expect(text).toContain('ED25519');
    const listed = await runFerry('key', 'list', '--dir', dir);
    expect(listed.stdout).toMatch(/^officer-ed {2}Ed25519 {2}sha256:[0-9a-f]{64}\n$/);
  });

  it('refuses an unknown algorithm before asking for a passphrase, writing nothing', async () => {
    const result = await runFerry('key', 'generate', '--name', 'k', '--algorithm', 'rsa', '--out', join(root, 'rsa'));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--algorithm rsa is not one Ferry makes: ecdsa-p256 or ed25519');
  });

  it('a statement signed with it verifies with @sigstore/verify and Ferry with the public key only; a changed byte is refused', async () => {
    const key = await readSigningKey('officer-ed', PASSPHRASE, dir);
    const ferryJson = Buffer.from('{"bundleId":"b-ed25519"}\n');
    const signed = await signFerryStatement(ferryJson, key, APPROVAL_PREDICATE_TYPE, { decision: 'approve' });
    const publicKey = createPublicKey(await readFile(join(dir, 'officer-ed.pub'), 'utf8'));
    expect(keyFingerprint(publicKey)).toBe(key.keyId);

    sigstoreVerify(signed, publicKey, key.keyId);
    expect(verifyFerryJsonSignature(signed, ferryJson, new Map([[key.keyId, publicKey]]))).toEqual({
      keyId: key.keyId,
      predicateType: APPROVAL_PREDICATE_TYPE,
      predicate: { decision: 'approve' },
    });

    const forged = JSON.parse(JSON.stringify(signed)) as { dsseEnvelope: { signatures: { sig: string }[] } };
    const signature = forged.dsseEnvelope.signatures[0];
    if (signature === undefined) throw new Error('no signature');
    const bytes = Buffer.from(signature.sig, 'base64');
    bytes[5] = (bytes[5] ?? 0) ^ 1;
    signature.sig = bytes.toString('base64');
    expect(() => sigstoreVerify(forged, publicKey, key.keyId)).toThrow();
    expect(() => verifyFerryJsonSignature(signed, Buffer.from('{"bundleId":"b-ed25519"} \n'), new Map([[key.keyId, publicKey]]))).toThrow(/digest/);
  });
});
