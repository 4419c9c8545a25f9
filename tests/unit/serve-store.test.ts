/**
 * The `ferry serve` store folder on the real filesystem: blobs appear only
 * complete and verified, upload sessions survive a reopen (a restart),
 * manifests are checked before they are kept, referrers are indexed, names
 * cannot escape the folder, and serve.lock keeps a second writer out.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OCI_INDEX, OCI_MANIFEST } from '../../src-main/oci/media-types.ts';
import { RegistryProblem, type RegistryProblemCode } from '../../src-main/serve/problems.ts';
import { openStore, type StoreFolder } from '../../src-main/serve/store.ts';
import { StoreLayout } from '../../src-main/serve/store-layout.ts';
import { UploadSessions } from '../../src-main/serve/store-uploads.ts';
import { FerryError } from '../../src-shared/errors.ts';

let root: string;
let dir: string;
const open: StoreFolder[] = [];
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'ferry-store-'));
  dir = join(root, 'store');
});
afterEach(async () => {
  for (const store of open.splice(0)) await store.close();
  await rm(root, { recursive: true, force: true });
});

async function store(readOnly = false): Promise<StoreFolder> {
  const opened = await openStore(dir, { readOnly });
  open.push(opened);
  return opened;
}

function digestOf(bytes: Buffer | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

function blob(text: string): { bytes: Buffer; digest: string; size: number } {
  const bytes = Buffer.from(text);
  return { bytes, digest: digestOf(bytes), size: bytes.length };
}

async function readAll(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of stream as AsyncIterable<Buffer>) parts.push(part);
  return Buffer.concat(parts);
}

async function problem(promise: Promise<unknown>): Promise<RegistryProblem> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof RegistryProblem)) throw new Error(`expected a RegistryProblem, got ${String(error)}`);
  return error;
}

async function expectProblem(promise: Promise<unknown>, code: RegistryProblemCode): Promise<RegistryProblem> {
  const error = await problem(promise);
  expect(error.code).toBe(code);
  return error;
}

/** Every file under the store's blobs folder (to see that nothing half-written is there). */
async function blobFiles(): Promise<string[]> {
  const entries = await readdir(join(dir, 'blobs'), { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => entry.name);
}

async function pushImage(target: StoreFolder, repository: string, tag: string, extra: Record<string, unknown> = {}): Promise<{ digest: string; bytes: Buffer; layer: string; config: string }> {
  const layer = blob(`layer of ${repository}:${tag}`);
  const config = blob(`{"config":"${tag}"}`);
  await target.putBlob(repository, { mediaType: 'application/octet-stream', digest: layer.digest, size: layer.size }, () => Readable.from([layer.bytes]));
  await target.putBlob(repository, { mediaType: 'application/octet-stream', digest: config.digest, size: config.size }, () => Readable.from([config.bytes]));
  const manifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config.digest, size: config.size },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: layer.digest, size: layer.size }],
    ...extra,
  };
  const bytes = Buffer.from(JSON.stringify(manifest));
  const result = await target.putManifest(repository, tag, bytes, OCI_MANIFEST);
  return { digest: result.digest, bytes, layer: layer.digest, config: config.digest };
}

describe('the store folder', () => {
  it('is created on first use, refuses a foreign folder, and a read-only open needs an existing store', async () => {
    await expect(openStore(dir, { readOnly: true })).rejects.toThrow(/does not exist/);
    const made = await store();
    expect((await readdir(dir)).sort()).toEqual(['blobs', 'ferry-store.json', 'repositories', 'serve.lock', 'uploads']);
    await made.close();
    expect(await readdir(dir)).not.toContain('serve.lock');
    const foreign = join(root, 'foreign');
    await mkdir(foreign);
    await writeFile(join(foreign, 'notes.txt'), 'mine');
    await expect(openStore(foreign)).rejects.toThrow(/not a Ferry store/);
  });

  it('stores a blob hashed while written, links an existing one without reading it, and refuses wrong content with nothing visible', async () => {
    const target = await store();
    const good = blob('hello blob');
    expect(await target.putBlob('team/app', { mediaType: 'x', ...good }, () => Readable.from([good.bytes.subarray(0, 3), good.bytes.subarray(3)]))).toBe('stored');
    expect(
      await target.putBlob('other', { mediaType: 'x', ...good }, () => {
        throw new Error('must not be read');
      }),
    ).toBe('linked');
    expect(await target.blobSize('other', good.digest)).toBe(good.size);
    expect((await readAll(await target.openBlob('team/app', good.digest))).toString()).toBe('hello blob');
    expect((await readAll(await target.openBlob('team/app', good.digest, { start: 6, end: 9 }))).toString()).toBe('blob');

    const wanted = blob('expected content');
    const before = await blobFiles();
    const mismatch = await expectProblem(
      target.putBlob('team/app', { mediaType: 'x', ...wanted }, () => Readable.from([Buffer.from('altered content!')])),
      'DIGEST_INVALID',
    );
    expect(mismatch.message).toContain(wanted.digest);
    await expectProblem(
      target.putBlob('team/app', { mediaType: 'x', ...wanted }, () => Readable.from([wanted.bytes, Buffer.from('+')])),
      'SIZE_INVALID',
    );
    await expectProblem(
      target.putBlob('team/app', { mediaType: 'x', ...wanted }, () => Readable.from([wanted.bytes.subarray(1)])),
      'SIZE_INVALID',
    );
    expect(await blobFiles()).toEqual(before);
    expect(await target.blobSize('team/app', wanted.digest)).toBeUndefined();
    // A blob the store holds is named by its digest, so a descriptor with another size is wrong.
    await expectProblem(
      target.putBlob('x', { mediaType: 'x', digest: good.digest, size: 3 }, () => Readable.from([])),
      'SIZE_INVALID',
    );
  });

  it('runs a chunked upload across a reopen, refusing wrong offsets and keeping the session on a wrong digest', async () => {
    let target = await store();
    const content = randomBytes(300_000);
    const session = await target.startUpload('team/app');
    expect(session.offset).toBe(0);
    expect((await target.appendUpload('team/app', session.id, 0, Readable.from([content.subarray(0, 100_000)]))).offset).toBe(100_000);
    const wrong = await expectProblem(target.appendUpload('team/app', session.id, 50, Readable.from([content.subarray(50)])), 'RANGE_INVALID');
    expect(wrong.detail).toEqual({ offset: 100_000 });
    expect(await target.uploadStatus('other', session.id)).toBeUndefined();

    // A chunk cut off midway is not kept: the session stays at what was acknowledged.
    async function* cut(): AsyncGenerator<Buffer> {
      yield content.subarray(100_000, 150_000);
      throw new Error('client went away');
    }
    await expect(target.appendUpload('team/app', session.id, 100_000, Readable.from(cut()))).rejects.toThrow(/client went away/);
    expect((await target.uploadStatus('team/app', session.id))?.offset).toBe(100_000);

    // A restart: a new handle on the same folder knows the session and its offset.
    await target.close();
    target = await store();
    expect(await target.uploadStatus('team/app', session.id)).toEqual({ id: session.id, repository: 'team/app', offset: 100_000 });
    await target.appendUpload('team/app', session.id, 100_000, Readable.from([content.subarray(100_000, 200_000)]));
    await expectProblem(target.finishUpload('team/app', session.id, digestOf('something else'), Readable.from([content.subarray(200_000)])), 'DIGEST_INVALID');
    expect((await target.uploadStatus('team/app', session.id))?.offset).toBe(300_000);
    const descriptor = await target.finishUpload('team/app', session.id, digestOf(content));
    expect(descriptor).toMatchObject({ digest: digestOf(content), size: 300_000 });
    expect(await target.uploadStatus('team/app', session.id)).toBeUndefined();
    expect(await readdir(join(dir, 'uploads'))).toEqual([]);
    expect((await readAll(await target.openBlob('team/app', digestOf(content)))).equals(content)).toBe(true);
    await expectProblem(target.appendUpload('team/app', session.id, 0, Readable.from([])), 'BLOB_UPLOAD_UNKNOWN');
  });

  it('drops the running hash of a session left idle, and still finishes that session from its bytes on disk', async () => {
    await store();
    let now = 0;
    const sessions = new UploadSessions(new StoreLayout(dir), new Set(), { now: () => now, idleMs: 1000 });
    const content = blob('an abandoned upload');
    const abandoned = await sessions.start('app');
    await sessions.append('app', abandoned.id, 0, Readable.from([content.bytes]));
    expect(sessions.runningHashes).toBe(1);
    now = 500;
    await sessions.start('app');
    expect(sessions.runningHashes).toBe(2);
    now = 5000;
    await sessions.start('app');
    expect(sessions.runningHashes).toBe(1);
    expect(await sessions.finish('app', abandoned.id, content.digest, undefined, () => Promise.resolve())).toBe(content.size);
  });

  it('finishes a monolithic and an empty upload, cancels a session, and mounts only from a repository that has the blob', async () => {
    const target = await store();
    const one = blob('monolithic');
    const session = await target.startUpload('a');
    await target.finishUpload('a', session.id, one.digest, Readable.from([one.bytes]));
    const empty = await target.startUpload('a');
    expect((await target.finishUpload('a', empty.id, digestOf(''))).size).toBe(0);
    expect(await target.blobSize('a', digestOf(''))).toBe(0);
    const dropped = await target.startUpload('a');
    expect(await target.cancelUpload('a', dropped.id)).toBe(true);
    expect(await target.cancelUpload('a', dropped.id)).toBe(false);
    expect(await target.mountBlob('b', one.digest, 'c')).toBe(false);
    expect(await target.blobSize('b', one.digest)).toBeUndefined();
    expect(await target.mountBlob('b', one.digest, 'a')).toBe(true);
    expect(await target.blobSize('b', one.digest)).toBe(one.size);
    expect(await target.deleteBlob('b', one.digest)).toBe(true);
    expect(await target.deleteBlob('b', one.digest)).toBe(false);
    await expectProblem(target.openBlob('b', one.digest), 'BLOB_UNKNOWN');
  });

  it('keeps manifests by tag and digest with their media type, lists tags and repositories, and deletes tags with their manifest', async () => {
    const target = await store();
    expect(await target.tags('team/app')).toBeUndefined();
    const image = await pushImage(target, 'team/app', 'v1');
    await target.putManifest('team/app', 'latest', image.bytes, OCI_MANIFEST);
    await pushImage(target, 'base', 'v2');
    expect(await target.repositories()).toEqual(['base', 'team/app']);
    expect(await target.tags('team/app')).toEqual(['latest', 'v1']);
    const byTag = await target.manifest('team/app', 'v1');
    expect(byTag).toEqual({ digest: image.digest, mediaType: OCI_MANIFEST, bytes: image.bytes });
    expect((await target.manifest('team/app', image.digest))?.bytes.equals(image.bytes)).toBe(true);
    expect(await target.manifest('base', image.digest)).toBeUndefined();
    // Distribution serves a manifest through the blob endpoint too.
    expect(await target.blobSize('team/app', image.digest)).toBe(image.bytes.length);

    expect(await target.deleteManifest('team/app', 'latest')).toBe(true);
    expect(await target.tags('team/app')).toEqual(['v1']);
    expect(await target.deleteManifest('team/app', image.digest)).toBe(true);
    expect(await target.tags('team/app')).toEqual([]);
    expect(await target.manifest('team/app', 'v1')).toBeUndefined();
    expect(await target.deleteManifest('team/app', image.digest)).toBe(false);
    expect(await target.repositories()).toEqual(['base']);
  });

  it('refuses manifests that are not JSON, disagree with their media type, miss content or do not match their digest', async () => {
    const target = await store();
    const image = await pushImage(target, 'app', 'v1');
    await expectProblem(target.putManifest('app', 'bad', Buffer.from('not json'), OCI_MANIFEST), 'MANIFEST_INVALID');
    await expectProblem(target.putManifest('app', 'bad', Buffer.from('{"schemaVersion":2}'), OCI_MANIFEST), 'MANIFEST_INVALID');
    await expectProblem(target.putManifest('app', 'bad', image.bytes, OCI_INDEX), 'MANIFEST_INVALID');
    await expectProblem(target.putManifest('app', 'bad', image.bytes, 'text/plain'), 'MANIFEST_INVALID');
    await expectProblem(target.putManifest('app', digestOf('other'), image.bytes, OCI_MANIFEST), 'DIGEST_INVALID');
    await expectProblem(target.putManifest('app', 'bad tag', image.bytes, OCI_MANIFEST), 'MANIFEST_INVALID');
    // Another repository has the manifest's blobs, this one does not.
    const missing = await expectProblem(target.putManifest('elsewhere', 'v1', image.bytes, OCI_MANIFEST), 'MANIFEST_BLOB_UNKNOWN');
    expect(missing.message).toMatch(/references blob sha256:/);
    const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ mediaType: OCI_MANIFEST, digest: image.digest, size: image.bytes.length }] }));
    const child = await expectProblem(target.putManifest('elsewhere', 'multi', index, OCI_INDEX), 'MANIFEST_BLOB_UNKNOWN');
    expect(child.detail).toEqual({ digest: image.digest });
    expect((await target.putManifest('app', digestOf(index), index, OCI_INDEX)).digest).toBe(digestOf(index));
    expect(await target.tags('app')).toEqual(['v1']);
  });

  it('refuses a manifest or index whose descriptor sizes are not the sizes of the stored blobs and child manifests', async () => {
    const target = await store();
    const image = await pushImage(target, 'app', 'v1');
    const manifest = JSON.parse(image.bytes.toString()) as { layers: [{ size: number }] };
    const held = manifest.layers[0].size;
    manifest.layers[0].size = 999;
    const wrong = await expectProblem(target.putManifest('app', 'v2', Buffer.from(JSON.stringify(manifest)), OCI_MANIFEST), 'MANIFEST_INVALID');
    expect(wrong.message).toContain(image.layer);
    expect(wrong.message).toMatch(new RegExp(`999 bytes, but it has ${held}\\b`));
    expect(wrong.detail).toEqual({ digest: image.layer, size: 999, stored: held });
    const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ mediaType: OCI_MANIFEST, digest: image.digest, size: image.bytes.length + 1 }] }));
    const child = await expectProblem(target.putManifest('app', 'multi', index, OCI_INDEX), 'MANIFEST_INVALID');
    expect(child.detail).toEqual({ digest: image.digest, size: image.bytes.length + 1, stored: image.bytes.length });
    expect(await target.tags('app')).toEqual(['v1']);
  });

  it('indexes referrers by subject, with artifactType and annotations, and drops them with their manifest', async () => {
    const target = await store();
    const image = await pushImage(target, 'app', 'v1');
    const subject = { mediaType: OCI_MANIFEST, digest: image.digest, size: image.bytes.length };
    const signature = await pushImage(target, 'app', 'sig', { artifactType: 'application/vnd.example.sig', subject, annotations: { kind: 'signature' } });
    const sbom = await pushImage(target, 'app', 'sbom', { subject });
    // The subject need not exist (distribution-spec: push the referrer first).
    const orphan = await pushImage(target, 'app', 'orphan', { subject: { ...subject, digest: digestOf('absent') } });
    expect(orphan.digest).toMatch(/^sha256:/);
    const listed = await target.referrers('app', image.digest);
    expect(listed.map((entry) => entry.digest).sort()).toEqual([signature.digest, sbom.digest].sort());
    expect(listed.find((entry) => entry.digest === signature.digest)).toEqual({
      mediaType: OCI_MANIFEST,
      digest: signature.digest,
      size: signature.bytes.length,
      artifactType: 'application/vnd.example.sig',
      annotations: { kind: 'signature' },
    });
    expect(listed.find((entry) => entry.digest === sbom.digest)?.artifactType).toBe('application/vnd.oci.image.config.v1+json');
    expect(await target.referrers('other', image.digest)).toEqual([]);
    await target.deleteManifest('app', signature.digest);
    expect((await target.referrers('app', image.digest)).map((entry) => entry.digest)).toEqual([sbom.digest]);
  });

  it('refuses names that could leave the folder or collide with its own, before touching the disk', async () => {
    const target = await store();
    for (const name of ['../escape', 'a/../b', '_layers', 'a/_manifests', 'UPPER', 'a//b', '/abs', 'a/', '.hidden', 'x'.repeat(256)]) {
      await expectProblem(target.startUpload(name), 'NAME_INVALID');
      await expectProblem(target.manifest(name, 'v1'), 'NAME_INVALID');
    }
    for (const good of ['a', 'a.b/c_d/e__f', 'x-y--z/0']) expect((await target.startUpload(good)).offset).toBe(0);
    await expectProblem(target.blobSize('a', 'sha256:../../etc'), 'DIGEST_INVALID');
    expect(await target.uploadStatus('a', '../../serve.lock')).toBeUndefined();
    expect(await target.manifest('a', '..')).toBeUndefined();
  });

  it('on Windows refuses device names and trailing dots in tags and repository names, naming why, and allows them elsewhere', async () => {
    const target = await store();
    const image = await pushImage(target, 'app', 'v1');
    const platform = Object.getOwnPropertyDescriptor(process, 'platform');
    Object.defineProperty(process, 'platform', { value: 'win32' });
    try {
      const tag = await expectProblem(target.putManifest('app', 'v1.', image.bytes, OCI_MANIFEST), 'MANIFEST_INVALID');
      expect(tag.message).toContain('ends in a dot');
      expect((await expectProblem(target.putManifest('app', 'Con', image.bytes, OCI_MANIFEST), 'MANIFEST_INVALID')).message).toContain('device name');
      const repository = await expectProblem(target.startUpload('team/aux'), 'NAME_INVALID');
      expect(repository.message).toContain('"aux" is a device name Windows reserves');
      await expectProblem(target.putManifest('lpt1.x/app', 'v1', image.bytes, OCI_MANIFEST), 'NAME_INVALID');
    } finally {
      if (platform !== undefined) Object.defineProperty(process, 'platform', platform);
    }
    expect(process.platform).not.toBe('win32');
    await target.putManifest('app', 'v1.', image.bytes, OCI_MANIFEST);
    expect(await target.tags('app')).toEqual(['v1', 'v1.']);
  });

  it('answers every write of a read-only store with UNSUPPORTED', async () => {
    const writer = await store();
    await pushImage(writer, 'app', 'v1');
    const reader = await store(true);
    expect(reader.readOnly).toBe(true);
    expect(await reader.tags('app')).toEqual(['v1']);
    await expectProblem(reader.startUpload('app'), 'UNSUPPORTED');
    await expectProblem(reader.deleteManifest('app', 'v1'), 'UNSUPPORTED');
  });
});

describe('serve.lock', () => {
  it('keeps a second process out while its holder runs, and takes over a stale lock', async () => {
    const made = await store();
    await made.close();
    const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
    try {
      await writeFile(join(dir, 'serve.lock'), `${sleeper.pid} serve\n`);
      const refused = await openStore(dir).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(refused).toBeInstanceOf(FerryError);
      expect((refused as FerryError).message).toContain(`pid ${sleeper.pid}`);
    } finally {
      sleeper.kill('SIGKILL');
      await new Promise((resolve) => sleeper.once('exit', resolve));
    }
    // The holder is gone: its lock is stale.
    expect((await store()).readOnly).toBe(false);
  });

  it('counts an empty lock as live while young and stale when old, without overwriting a young one', async () => {
    const made = await store();
    await made.close();
    const lockFile = join(dir, 'serve.lock');
    await writeFile(lockFile, '');
    const refused = await openStore(dir).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(FerryError);
    expect((refused as FerryError).message).toContain('its lock is being written');
    expect(await readFile(lockFile, 'utf8')).toBe('');
    const old = new Date(Date.now() - 60_000);
    await utimes(lockFile, old, old);
    await store();
    expect((await readFile(lockFile, 'utf8')).split(' ').slice(0, 2)).toEqual([String(process.pid), 'serve']);
  });

  it.runIf(existsSync('/proc/sys/kernel/random/boot_id'))('treats a live pid from another boot, or with another start time, as stale', async () => {
    const made = await store();
    await made.close();
    const lockFile = join(dir, 'serve.lock');
    const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
    try {
      const pid = sleeper.pid ?? 0;
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
      const started = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
      const boot = (await readFile('/proc/sys/kernel/random/boot_id', 'utf8')).trim();
      // The same boot and start time: live.
      await writeFile(lockFile, `${pid} serve ${boot} ${started}\n`);
      await expect(openStore(dir)).rejects.toThrow(`pid ${pid}`);
      // The pid was written before a reboot: stale, though a process with that pid runs now.
      await writeFile(lockFile, `${pid} serve 00000000-0000-0000-0000-000000000000 ${started}\n`);
      await (await openStore(dir)).close();
      // The same boot, but the pid was reused by a later process.
      await writeFile(lockFile, `${pid} gc ${boot} 1\n`);
      await (await openStore(dir)).close();
    } finally {
      sleeper.kill('SIGKILL');
      await new Promise((resolve) => sleeper.once('exit', resolve));
    }
  });

  it('writes pid, purpose, boot id and start time, and leaves no temp file beside the lock', async () => {
    await store();
    const [pid, purpose, boot, started] = (await readFile(join(dir, 'serve.lock'), 'utf8')).trim().split(' ');
    expect([pid, purpose]).toEqual([String(process.pid), 'serve']);
    expect(boot).toMatch(/^([0-9a-f-]{36}|-)$/);
    expect(started).toMatch(/^(\d+|-)$/);
    expect((await readdir(dir)).filter((name) => name.startsWith('serve.lock'))).toEqual(['serve.lock']);
  });
});
