/**
 * trust/statements.ts: statements written beside a ferry.json with real keys
 * (generateSigningKey in a temp keys folder, opened with readSigningKey) come
 * back as findings naming the key, its role and what it says; a bad file is a
 * finding with ok:false and a plain problem, never an error.
 */
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APPROVAL_PREDICATE_TYPE, signFerryJson, signFerryStatement } from '../../src-main/trust/bundle-signature.ts';
import { generateSigningKey, readPublicKeyFile, readSigningKey, type SigningKey } from '../../src-main/trust/keys.ts';
import { localKnownKeys, readStatements, statementFileName, writeStatement, type KnownKey } from '../../src-main/trust/statements.ts';

let root = '';
let keysDir = '';
let exporter: SigningKey;
let officer: SigningKey;
let stranger: SigningKey;
let known: KnownKey[] = [];
const ferryJson = Buffer.from('{"formatVersion":1,"bundleId":"x"}\n');

async function known1(key: SigningKey, role?: KnownKey['role']): Promise<KnownKey> {
  const publicKey = await readPublicKeyFile(join(keysDir, `${key.name}.pub`));
  return { keyId: key.keyId, name: key.name, publicKey, ...(role ? { role } : {}) };
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'ferry-statements-'));
  keysDir = join(root, 'keys');
  for (const name of ['exporter-1', 'officer-1', 'stranger']) await generateSigningKey(keysDir, name, `pass-${name}`);
  exporter = await readSigningKey('exporter-1', 'pass-exporter-1', keysDir);
  officer = await readSigningKey('officer-1', 'pass-officer-1', keysDir);
  stranger = await readSigningKey('stranger', 'pass-stranger', keysDir);
  known = [await known1(exporter, 'exporter'), await known1(officer, 'officer')];
});
afterAll(async () => {
  if (root !== '') await rm(root, { recursive: true, force: true });
});

let bundles = 0;
async function bundleDir(): Promise<string> {
  bundles += 1;
  const dir = join(root, `bundle-${bundles}`);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'ferry.json'), ferryJson);
  return dir;
}

const serialize = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

async function signExport(dir: string, key: SigningKey, bytes: Buffer = ferryJson): Promise<void> {
  await writeStatement(dir, statementFileName(key.name, 'export', key.keyId), serialize(await signFerryJson(bytes, { privateKey: key.privateKey, keyId: key.keyId })));
}

async function decide(dir: string, key: SigningKey, decision: 'approve' | 'reject', note: string | null): Promise<void> {
  const predicate = { decision, reviewer: `${key.name} person`, time: '2026-12-02T12:00:00.000Z', note, policyDigest: null, allowRollback: false };
  const signed = await signFerryStatement(ferryJson, { privateKey: key.privateKey, keyId: key.keyId }, APPROVAL_PREDICATE_TYPE, predicate);
  await writeStatement(dir, statementFileName(key.name, decision === 'approve' ? 'approval' : 'rejection', key.keyId), serialize(signed));
}

describe('statement file names', () => {
  it('export, approval and rejection names; a bad key name is refused', () => {
    const id = `sha256:${'0123456789abcdef'.repeat(4)}`;
    const other = `sha256:${'fedcba9876543210'.repeat(4)}`;
    expect(statementFileName('exporter-1', 'export', id)).toBe('exporter-1-0123456789abcdef.sigstore.json');
    expect(statementFileName('officer-1', 'approval', id)).toBe('officer-1-0123456789abcdef.approval.sigstore.json');
    expect(statementFileName('officer-1', 'rejection', id)).toBe('officer-1-0123456789abcdef.approval.sigstore.json');
    // Two keys named alike never share a file: one officer's approval cannot replace another's rejection.
    expect(statementFileName('officer', 'approval', other)).not.toBe(statementFileName('officer', 'rejection', id));
    // An exporter key named like an officer's decision file cannot collide with it either.
    expect(statementFileName('x.approval', 'export', id)).not.toBe(statementFileName('x', 'approval', id));
    expect(() => statementFileName('../evil', 'export', id)).toThrow(/key name "..\/evil" is not allowed/);
    expect(() => statementFileName('officer', 'export', 'sha256:abc')).toThrow(/not a key fingerprint/);
  });
});

describe('readStatements', () => {
  it('a bundle without a signatures folder has no statements', async () => {
    expect(await readStatements(await bundleDir(), ferryJson, known)).toEqual([]);
  });

  it("the exporter's signature and an officer's approval verify, with names and roles", async () => {
    const dir = await bundleDir();
    await signExport(dir, exporter);
    await decide(dir, officer, 'approve', 'looks right');
    const findings = await readStatements(dir, ferryJson, known);
    expect(findings).toEqual([
      { file: `signatures/${statementFileName('exporter-1', 'export', exporter.keyId)}`, keyId: exporter.keyId, keyName: 'exporter-1', role: 'exporter', kind: 'export', ok: true },
      {
        file: `signatures/${statementFileName('officer-1', 'approval', officer.keyId)}`,
        keyId: officer.keyId,
        keyName: 'officer-1',
        role: 'officer',
        kind: 'approval',
        ok: true,
        reviewer: 'officer-1 person',
        time: '2026-12-02T12:00:00.000Z',
        note: 'looks right',
        allowRollback: false,
      },
    ]);
  });

  it("a rejection replaces the same key's approval (one decision per key)", async () => {
    const dir = await bundleDir();
    await decide(dir, officer, 'approve', null);
    await decide(dir, officer, 'reject', 'wrong images');
    const findings = await readStatements(dir, ferryJson, known);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ kind: 'rejection', ok: true, note: 'wrong images', keyName: 'officer-1' });
  });

  it('an unknown key, another ferry.json, a tampered file and junk are findings with plain problems, not errors', async () => {
    const dir = await bundleDir();
    await signExport(dir, stranger);
    await signExport(dir, exporter, Buffer.from('{"another":"ferry.json"}\n'));
    await decide(dir, officer, 'approve', null);
    // One byte of the officer's signature changed.
    const path = join(dir, 'signatures', statementFileName('officer-1', 'approval', officer.keyId));
    const text = await readFile(path, 'utf8');
    const json = JSON.parse(text) as { dsseEnvelope: { signatures: Array<{ sig: string }> } };
    const sig = Buffer.from(json.dsseEnvelope.signatures[0]?.sig ?? '', 'base64');
    sig[sig.length - 1] = (sig[sig.length - 1] ?? 0) ^ 1;
    if (json.dsseEnvelope.signatures[0]) json.dsseEnvelope.signatures[0].sig = sig.toString('base64');
    await writeFile(path, JSON.stringify(json));
    await writeFile(join(dir, 'signatures', 'junk.sigstore.json'), '{"a":1,"a":2}');
    await writeFile(join(dir, 'signatures', 'readme.txt'), 'hi');
    await symlink('/etc/hostname', join(dir, 'signatures', 'link.sigstore.json'));
    const findings = await readStatements(dir, ferryJson, known);
    const byFile = new Map(findings.map((f) => [f.file, f]));
    expect(findings.every((f) => !f.ok && f.kind === undefined && typeof f.problem === 'string')).toBe(true);
    expect(byFile.get(`signatures/${statementFileName('stranger', 'export', stranger.keyId)}`)).toMatchObject({ keyId: stranger.keyId, problem: expect.stringMatching(/not a trusted key/) });
    expect(byFile.get(`signatures/${statementFileName('exporter-1', 'export', exporter.keyId)}`)).toMatchObject({ keyName: 'exporter-1', problem: expect.stringMatching(/is not this ferry.json's/) });
    expect(byFile.get(`signatures/${statementFileName('officer-1', 'approval', officer.keyId)}`)).toMatchObject({ keyName: 'officer-1', problem: expect.stringMatching(/does not verify/) });
    expect(byFile.get('signatures/junk.sigstore.json')?.problem).toMatch(/appears twice/);
    expect(byFile.get('signatures/readme.txt')?.problem).toMatch(/not a statement file name/);
    expect(byFile.get('signatures/link.sigstore.json')?.problem).toMatch(/symbolic link/);
  });

  it('a symlinked signatures folder is one finding, its target unread', async () => {
    const dir = await bundleDir();
    const elsewhere = join(root, 'elsewhere');
    await mkdir(elsewhere, { recursive: true });
    await signExport(elsewhere, exporter);
    await symlink(join(elsewhere, 'signatures'), join(dir, 'signatures'));
    const findings = await readStatements(dir, ferryJson, known);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ file: 'signatures', ok: false, problem: expect.stringMatching(/symbolic link/) });
  });

  it('cancelled: throws CANCELLED', async () => {
    const dir = await bundleDir();
    await signExport(dir, exporter);
    const controller = new AbortController();
    controller.abort();
    await expect(readStatements(dir, ferryJson, known, controller.signal)).rejects.toMatchObject({ code: 'CANCELLED' });
  });
});

describe('writeStatement', () => {
  it('refuses a bad file name and a signatures path that is not a real folder', async () => {
    const dir = await bundleDir();
    await expect(writeStatement(dir, '../x.sigstore.json', '{}')).rejects.toThrow(/not a statement file name/);
    await expect(writeStatement(dir, 'x.json', '{}')).rejects.toThrow(/not a statement file name/);
    const elsewhere = await mkdtemp(join(root, 'target-'));
    await symlink(elsewhere, join(dir, 'signatures'));
    await expect(writeStatement(dir, 'x.sigstore.json', '{}')).rejects.toThrow(/symbolic link, not a folder/);
  });
});

describe('localKnownKeys', () => {
  it('reads every public key of a keys folder, without roles; a missing folder holds none', async () => {
    const keys = await localKnownKeys(keysDir);
    expect(keys.map((k) => [k.name, k.keyId, k.role])).toEqual([
      ['exporter-1', exporter.keyId, undefined],
      ['officer-1', officer.keyId, undefined],
      ['stranger', stranger.keyId, undefined],
    ]);
    expect(await localKnownKeys(join(root, 'no-such-folder'))).toEqual([]);
  });
});
