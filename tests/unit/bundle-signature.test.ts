/**
 * trust/bundle-signature.ts: a ferry.json signed offline into a Sigstore v0.3
 * DSSE bundle verifies with the trusted key and is refused when anything it
 * covers changes; openssl, an independent consumer, verifies the signature
 * over the DSSE PAE rebuilt here from the envelope.
 */
import { execFile } from 'node:child_process';
import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FerryError } from '../../src-shared/errors.ts';
import { FERRY_JSON_PREDICATE_TYPE, SIGSTORE_BUNDLE_MEDIA_TYPE, signFerryJson, verifyFerryJsonSignature } from '../../src-main/trust/bundle-signature.ts';
import { keyFingerprint } from '../../src-main/trust/keys.ts';

const run = promisify(execFile);

/** The parts of the bundle JSON the tests read and tamper with. */
interface TestBundle {
  mediaType: string;
  verificationMaterial: { publicKey: { hint: string }; tlogEntries?: unknown[] };
  dsseEnvelope: { payload: string; payloadType: string; signatures: { sig: string; keyid: string }[] };
  [member: string]: unknown;
}

const ferryJson = Buffer.from('{"schemaVersion":1,"id":"b-1","images":[]}\n');
const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const keyId = keyFingerprint(publicKey);
const trusted = new Map<string, KeyObject>([[keyId, publicKey]]);
let signed = {} as TestBundle;
let root = '';

beforeAll(async () => {
  signed = (await signFerryJson(ferryJson, { privateKey, keyId }, { exporter: 'site-a' })) as unknown as TestBundle;
  root = await mkdtemp(join(tmpdir(), 'ferry-dsse-'));
});
afterAll(async () => {
  if (root !== '') await rm(root, { recursive: true, force: true });
});

const clone = (): TestBundle => JSON.parse(JSON.stringify(signed)) as TestBundle;

/** Expects verification to throw a BUNDLE_INVALID whose message matches. */
function refused(bundle: unknown, pattern: RegExp, bytes: Buffer = ferryJson, keys: Map<string, KeyObject> = trusted): void {
  let caught: unknown;
  try {
    verifyFerryJsonSignature(bundle, bytes, keys);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(FerryError);
  expect((caught as FerryError).code).toBe('BUNDLE_INVALID');
  expect((caught as FerryError).message).toMatch(pattern);
}

/** Flips one bit of a base64 field's decoded bytes. */
function flipBase64(value: string, index: number): string {
  const bytes = Buffer.from(value, 'base64');
  bytes[index] = (bytes[index] ?? 0) ^ 1;
  return bytes.toString('base64');
}

describe('signFerryJson / verifyFerryJsonSignature', () => {
  it('writes a v0.3 DSSE bundle with an in-toto statement over ferry.json, and verifies it', () => {
    expect(signed.mediaType).toBe(SIGSTORE_BUNDLE_MEDIA_TYPE);
    expect(Object.keys(signed).sort()).toEqual(['dsseEnvelope', 'mediaType', 'verificationMaterial']);
    expect(signed.verificationMaterial.publicKey.hint).toBe(keyId);
    expect(signed.verificationMaterial.tlogEntries ?? []).toEqual([]);
    expect(signed.dsseEnvelope.payloadType).toBe('application/vnd.in-toto+json');
    const statement = JSON.parse(Buffer.from(signed.dsseEnvelope.payload, 'base64').toString('utf8')) as { _type: string; subject: unknown };
    expect(statement._type).toBe('https://in-toto.io/Statement/v1');
    expect(statement.subject).toEqual([{ name: 'ferry.json', digest: { sha256: expect.stringMatching(/^[0-9a-f]{64}$/) } }]);
    expect(verifyFerryJsonSignature(signed, ferryJson, trusted)).toEqual({ keyId, predicateType: FERRY_JSON_PREDICATE_TYPE, predicate: { exporter: 'site-a' } });
  });

  it('refuses a key id that is not the key fingerprint', async () => {
    await expect(signFerryJson(ferryJson, { privateKey, keyId: 'sha256:00' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('refuses a ferry.json with one byte changed (subject mismatch)', () => {
    const tampered = Buffer.from(ferryJson);
    tampered[5] = (tampered[5] ?? 0) ^ 1;
    refused(signed, /signed ferry\.json digest sha256:[0-9a-f]{64} is not this ferry\.json's/, tampered);
  });

  it('refuses a changed payload, signature or payloadType', () => {
    const payload = clone();
    payload.dsseEnvelope.payload = flipBase64(payload.dsseEnvelope.payload, 20);
    refused(payload, /DSSE signature does not verify/);
    const sig = clone();
    const [first] = sig.dsseEnvelope.signatures;
    if (first === undefined) throw new Error('no signature');
    first.sig = flipBase64(first.sig, 10);
    refused(sig, /DSSE signature does not verify/);
    const type = clone();
    type.dsseEnvelope.payloadType = 'application/json';
    refused(type, /DSSE signature does not verify/);
  });

  it('refuses a signature by a key that is not trusted', () => {
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
    refused(signed, /not a trusted key/, ferryJson, new Map([[keyFingerprint(other), other]]));
    // The right key id mapped to another key: the signature itself fails.
    refused(signed, /does not verify/, ferryJson, new Map([[keyId, other]]));
  });

  it('refuses other media types, extra members and a second envelope kind', () => {
    const v09 = clone();
    v09.mediaType = 'application/vnd.dev.sigstore.bundle.v0.9+json';
    refused(v09, /media type "application\/vnd\.dev\.sigstore\.bundle\.v0\.9\+json" is not/);
    const v02 = clone();
    v02.mediaType = 'application/vnd.dev.sigstore.bundle+json;version=0.2';
    refused(v02, /media type/);
    const both = clone();
    both.messageSignature = { messageDigest: { algorithm: 'SHA2_256', digest: 'AA==' }, signature: 'AA==' };
    refused(both, /expected exactly dsseEnvelope, mediaType, verificationMaterial/);
    const extra = clone();
    extra.evil = 1;
    refused(extra, /members/);
    const twoSigs = clone();
    twoSigs.dsseEnvelope.signatures.push(...twoSigs.dsseEnvelope.signatures);
    refused(twoSigs, /exactly one signature/);
    refused(null, /not a JSON object/);
    refused([], /not a JSON object/);
  });

  it('openssl verifies the signature over the DSSE PAE rebuilt from the envelope', async () => {
    const { payloadType, payload, signatures } = signed.dsseEnvelope;
    const body = Buffer.from(payload, 'base64');
    const pae = Buffer.concat([Buffer.from(`DSSEv1 ${Buffer.byteLength(payloadType)} ${payloadType} ${body.length} `), body]);
    const pubPath = join(root, 'pub.pem');
    const sigPath = join(root, 'sig.der');
    await writeFile(pubPath, createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }));
    await writeFile(sigPath, Buffer.from(signatures[0]?.sig ?? '', 'base64'));
    const verify = (data: Buffer) => {
      const child = run('openssl', ['dgst', '-sha256', '-verify', pubPath, '-signature', sigPath]);
      child.child.stdin?.end(data);
      return child;
    };
    await expect(verify(pae)).resolves.toMatchObject({ stdout: 'Verified OK\n' });
    const wrong = Buffer.from(pae);
    wrong[wrong.length - 3] = (wrong[wrong.length - 3] ?? 0) ^ 1;
    await expect(verify(wrong)).rejects.toThrow();
  });
});
