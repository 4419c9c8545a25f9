/**
 * The engine side of the import wizard's issue-17 additions: the pull secret
 * merged into a copy (the original untouched, the copy 0600, the answer and
 * errors free of the password) and the memory of the last import's target
 * (no login ever written, a broken file read as no memory).
 */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lastImportPathFor, readLastImport, rememberImport } from '../../src-main/service/import-memory.ts';
import { mergePullSecret } from '../../src-main/service/mirror.ts';
import { FerryError } from '../../src-shared/errors.ts';
import { failure } from '../harness/test-helpers.ts';

const PASSWORD = 'never-in-an-answer-or-a-file-name';
let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'ferry-import-wizard-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('pullsecret:merge', () => {
  it('saves a merged copy keyed by the registry host, keeps the original and every other entry, and answers no secret', async () => {
    const file = join(root, 'pull-secret.json');
    const original = `${JSON.stringify({ auths: { 'quay.io': { auth: 'cXVheTp0b2tlbg==' } } })}\n`;
    await writeFile(file, original);
    const saveAs = join(root, 'pull-secret-with-mirror.json');
    const answer = await mergePullSecret({ file, saveAs, target: 'mirror.local:5000/ocp/release', username: 'puller', password: PASSWORD });
    expect(answer).toEqual({ saved: saveAs, registry: 'mirror.local:5000', registries: ['quay.io', 'mirror.local:5000'] });
    expect(JSON.stringify(answer)).not.toContain(PASSWORD);
    expect(await readFile(file, 'utf8')).toBe(original);
    const merged = JSON.parse(await readFile(saveAs, 'utf8')) as { auths: Record<string, { auth: string }> };
    expect(Buffer.from(merged.auths['mirror.local:5000']?.auth ?? '', 'base64').toString()).toBe(`puller:${PASSWORD}`);
    if (process.platform !== 'win32') expect((await stat(saveAs)).mode & 0o777).toBe(0o600);
  });

  it('refuses a relative path or a missing file naming the field or the file, never the password', async () => {
    const relative = await failure(mergePullSecret({ file: 'pull-secret.json', saveAs: join(root, 'x.json'), target: 'mirror.local', username: 'u', password: PASSWORD }));
    expect(relative).toBeInstanceOf(FerryError);
    expect(relative.details).toMatchObject({ argument: 'file' });
    const missing = await failure(mergePullSecret({ file: join(root, 'missing.json'), saveAs: join(root, 'y.json'), target: 'mirror.local', username: 'u', password: PASSWORD }));
    expect(missing.code).toBe('IO_ERROR');
    // Neither the original nor any existing file is replaced.
    const file = join(root, 'pull-secret.json');
    const original = await readFile(file, 'utf8');
    const same = await failure(mergePullSecret({ file, saveAs: file, target: 'mirror.local', username: 'u', password: PASSWORD }));
    expect(same.details).toMatchObject({ argument: 'saveAs' });
    await writeFile(join(root, 'docker-config.json'), '{}');
    const existing = await failure(mergePullSecret({ file, saveAs: join(root, 'docker-config.json'), target: 'mirror.local', username: 'u', password: PASSWORD }));
    expect(existing.message).toContain('already exists');
    expect(await readFile(file, 'utf8')).toBe(original);
    expect(await readFile(join(root, 'docker-config.json'), 'utf8')).toBe('{}');
    expect(missing.message).toContain('missing.json');
    expect(`${missing.message}${JSON.stringify(missing.details)}`).not.toContain(PASSWORD);
  });
});

describe('import:last', () => {
  it('remembers the target, site and TLS choices of a started import, never its login', async () => {
    const path = lastImportPathFor(join(root, 'memory', 'catalog.sqlite'));
    expect(await readLastImport(path)).toBeNull();
    await rememberImport(path, {
      bundle: '/media/usb/bundle',
      target: 'registry.local:5000/mirror',
      site: 'plant-7',
      registry: { plainHttp: true, tlsVerify: false, caCertFiles: ['/etc/ca.pem'], username: 'pusher', password: PASSWORD },
    });
    expect(await readFile(path, 'utf8')).not.toContain(PASSWORD);
    expect(await readFile(path, 'utf8')).not.toContain('pusher');
    expect(await readLastImport(path)).toEqual({ target: 'registry.local:5000/mirror', site: 'plant-7', plainHttp: true, tlsVerify: false, caCertFile: '/etc/ca.pem' });
  });

  it('reads a broken memory as none', async () => {
    const path = join(root, 'broken-last-import.json');
    await writeFile(path, '{"target": 5');
    expect(await readLastImport(path)).toBeNull();
  });
});
