/**
 * The officer's calls through the service, as the app makes them: the site
 * policy read and saved beside the catalog (checked with the policy schema,
 * refused naming the line, the change in the audit log), the local signing
 * keys listed without key material, and a decision's input refused before
 * any key is opened, never echoing the passphrase.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FerryError } from '../../src-shared/errors.ts';
import { createService, type Service } from '../../src-main/service.ts';
import { defaultKeysFolder, generateSigningKey } from '../../src-main/trust/keys.ts';
import { openCatalog } from '../../src-main/usecases/catalog.ts';

let dir: string;
let catalogPath: string;
let service: Service;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-service-trust-'));
  catalogPath = join(dir, 'data', 'catalog.sqlite');
  service = createService({ mode: 'browser', catalogPath });
});

afterEach(async () => {
  await service.close();
  await rm(dir, { recursive: true, force: true });
});

/** The error a call rejected with (the test fails when it resolved). */
async function refusal(call: Promise<unknown>): Promise<FerryError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof FerryError)) throw new Error(`expected a FerryError, got ${String(error)}`);
  return error;
}

describe('policy:get and policy:save', () => {
  it('answers no text before a policy exists, saves beside the catalog, and records the change in the audit log', async () => {
    const policyPath = join(dir, 'data', 'policy.yaml');
    expect(await service['policy:get']({})).toEqual({ path: policyPath, text: null, digest: null });
    const { fingerprint } = await generateSigningKey(join(dir, 'keys'), 'officer-1', 'test passphrase');
    const text = `trustedKeys:\n  - name: officer-1\n    role: officer\n    publicKey: ${join(dir, 'keys', 'officer-1.pub')}\nrequire:\n  officer: 1\n`;
    const saved = await service['policy:save']({ text });
    expect(saved).toMatchObject({ path: policyPath, text });
    expect(saved.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(await readFile(policyPath, 'utf8')).toBe(text);
    expect(await service['policy:get']({})).toEqual(saved);
    // Saving the same text again is no change: one audit entry, naming both digests.
    await service['policy:save']({ text });
    await service.close();
    const catalog = openCatalog(catalogPath);
    try {
      const entries = catalog.auditLog(10).filter((entry) => entry.action === 'policy.changed');
      expect(entries).toHaveLength(1);
      expect(entries[0]).toMatchObject({ subject: policyPath, details: { digest: saved.digest, previous: null } });
    } finally {
      catalog.close();
    }
    expect(fingerprint).toMatch(/^sha256:/);
  });

  it('refuses invalid text naming the line, and leaves the saved policy as it was', async () => {
    const policyPath = join(dir, 'data', 'policy.yaml');
    await service['policy:save']({ text: 'overwriteTags: false\n' });
    const error = await refusal(service['policy:save']({ text: 'overwriteTags: false\nrequire:\n  officers: 1\n' }));
    expect(error.details).toMatchObject({ line: 3 });
    expect(error.message).toContain('officers');
    expect(await readFile(policyPath, 'utf8')).toBe('overwriteTags: false\n');
    expect((await refusal(service['policy:save']({ text: 'trustedKeys: [\n' }))).details).toHaveProperty('line');
    expect((await refusal(service.call('policy:save', {}))).code).toBe('INVALID_ARGUMENT');
  });

  it('reads a policy written by hand, byte for byte', async () => {
    const policyPath = join(dir, 'data', 'policy.yaml');
    await service['policy:save']({ text: 'maxAge: 30d\n' });
    await writeFile(policyPath, '# edited by hand\nmaxAge: 7d\n');
    expect((await service['policy:get']({})).text).toBe('# edited by hand\nmaxAge: 7d\n');
  });
});

describe('keys:list', () => {
  it('lists the keys folder by name and fingerprint, never key material', async () => {
    const key = await generateSigningKey(defaultKeysFolder(), 'reviewer-a', 'test passphrase');
    const keys = await service['keys:list']({});
    expect(keys).toContainEqual({ name: 'reviewer-a', algorithm: key.algorithm, fingerprint: key.fingerprint, canSign: true });
    expect(JSON.stringify(keys)).not.toContain('PRIVATE KEY');
  });
});

describe('bundle:decide input', () => {
  const passphrase = 'never-echo-this-passphrase';
  it('refuses a rejection without a note, an unknown decision and a missing passphrase, never echoing the passphrase', async () => {
    const noNote = await refusal(service['bundle:decide']({ bundle: dir, decision: 'reject', key: 'officer-1', passphrase }));
    expect(noNote.details).toMatchObject({ argument: 'note' });
    const other = await refusal(service.call('bundle:decide', { bundle: dir, decision: 'maybe', key: 'officer-1', passphrase }));
    expect(other.details).toMatchObject({ argument: 'decision' });
    const empty = await refusal(service['bundle:decide']({ bundle: dir, decision: 'approve', key: 'officer-1', passphrase: '' }));
    expect(empty.details).toMatchObject({ argument: 'passphrase' });
    for (const error of [noNote, other, empty]) expect(JSON.stringify({ message: error.message, details: error.details })).not.toContain(passphrase);
  });
});
