/**
 * `ferry serve gc` on a real store folder: it removes exactly the blobs no
 * manifest uses (an orphan upload, a deleted image's content), the temp files
 * a kill left and abandoned upload sessions; a shared layer stays while any
 * image uses it; a dry run removes nothing; and it refuses while the store is
 * open for serving. storeStats counts what is left.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OCI_MANIFEST } from '../../src-main/oci/media-types.ts';
import { collectGarbage } from '../../src-main/serve/gc.ts';
import { openStore, type StoreFolder } from '../../src-main/serve/store.ts';
import { storeStats } from '../../src-main/serve/store-stats.ts';

let root: string;
let dir: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'ferry-gc-'));
  dir = join(root, 'store');
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

function digestOf(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

async function putBytes(store: StoreFolder, repository: string, bytes: Buffer): Promise<string> {
  const digest = digestOf(bytes);
  await store.putBlob(repository, { mediaType: 'application/octet-stream', digest, size: bytes.length }, () => Readable.from([bytes]));
  return digest;
}

/** An image with one layer of its own and one shared layer; returns the manifest digest and every blob it names. */
async function pushImage(store: StoreFolder, repository: string, tag: string, shared: Buffer): Promise<{ manifest: string; own: string; config: string }> {
  const own = await putBytes(store, repository, Buffer.from(`own layer of ${repository}`));
  const sharedDigest = await putBytes(store, repository, shared);
  const configBytes = Buffer.from(`{"for":"${repository}"}`);
  const config = await putBytes(store, repository, configBytes);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config, size: configBytes.length },
      layers: [
        { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: own, size: Buffer.from(`own layer of ${repository}`).length },
        { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sharedDigest, size: shared.length },
      ],
    }),
  );
  return { manifest: (await store.putManifest(repository, tag, manifest, OCI_MANIFEST)).digest, own, config };
}

async function blobExists(digest: string): Promise<boolean> {
  const hex = digest.slice('sha256:'.length);
  const names: string[] = await readdir(join(dir, 'blobs', 'sha256', hex.slice(0, 2))).catch(() => []);
  return names.includes(hex);
}

describe('collectGarbage', () => {
  it('removes what no manifest uses, keeps shared content, honours the dry run, and refuses while the store is served', async () => {
    const shared = Buffer.alloc(10_000, 7);
    let store = await openStore(dir);
    const a = await pushImage(store, 'team/a', 'v1', shared);
    const b = await pushImage(store, 'team/b', 'v1', shared);
    const orphanBytes = Buffer.from('uploaded, never used by a manifest');
    const orphan = await putBytes(store, 'team/a', orphanBytes);
    const stale = await store.startUpload('team/a');
    await store.appendUpload('team/a', stale.id, 0, Readable.from([Buffer.from('abandoned bytes')]));
    const fresh = await store.startUpload('team/a');
    const dayAgo = new Date(Date.now() - 2 * 24 * 60 * 60 * 1000);
    for (const name of ['info.json', 'data']) await utimes(join(dir, 'uploads', stale.id, name), dayAgo, dayAgo);
    // What a kill leaves: a durable-write temp beside a blob and beside a link.
    const blobTemp = join(dir, 'blobs', 'sha256', orphan.slice(7, 9), `${orphan.slice(7)}.tmp-0123456789ab`);
    await writeFile(blobTemp, 'half a blob');
    await writeFile(join(dir, 'repositories', 'team', 'a', '_layers', 'sha256', `${a.own.slice(7)}.tmp-0123456789ab`), 'half a link');
    // A lock temp a kill left long ago is swept; a fresh one may be another process taking the lock right now, and stays.
    await writeFile(join(dir, 'serve.lock.new-00aa11bb22cc'), 'pid 1 serve');
    await utimes(join(dir, 'serve.lock.new-00aa11bb22cc'), dayAgo, dayAgo);
    await writeFile(join(dir, 'serve.lock.new-33dd44ee55ff'), 'pid 1 serve');

    expect(await storeStats(dir)).toEqual({ repositories: 2, images: 2, bytes: expect.any(Number) as number });
    await expect(collectGarbage(dir, { dryRun: true })).rejects.toThrow(/in use by ferry serve \(pid \d+/);
    await store.close();

    const planned = await collectGarbage(dir, { dryRun: true });
    expect(planned.removed).toEqual([{ digest: orphan, size: orphanBytes.length }]);
    expect(planned.removedUploads).toEqual([{ id: stale.id, size: expect.any(Number) as number }]);
    expect(planned.removedLeftovers).toBe(3);
    expect(planned.keptBlobs).toBe(7);
    expect(await blobExists(orphan)).toBe(true);
    expect((await readdir(join(dir, 'uploads'))).sort()).toEqual([fresh.id, stale.id].sort());

    const done = await collectGarbage(dir, { dryRun: false });
    expect(done).toEqual(planned);
    expect(done.bytesFreed).toBeGreaterThan(orphanBytes.length);
    expect(await blobExists(orphan)).toBe(false);
    expect(await readdir(join(dir, 'uploads'))).toEqual([fresh.id]);
    expect(await readdir(join(dir, 'blobs', 'sha256', orphan.slice(7, 9)))).not.toContain(`${orphan.slice(7)}.tmp-0123456789ab`);
    expect(await readdir(dir)).not.toContain('serve.lock');
    expect(await readdir(dir)).not.toContain('serve.lock.new-00aa11bb22cc');
    expect(await readdir(dir)).toContain('serve.lock.new-33dd44ee55ff');

    // Deleting image a frees its own content, not the layer b still uses.
    store = await openStore(dir);
    expect(await store.blobSize('team/a', orphan)).toBeUndefined();
    expect(await store.deleteManifest('team/a', a.manifest)).toBe(true);
    await store.close();
    const afterDelete = await collectGarbage(dir, { dryRun: false });
    expect(afterDelete.removed.map((entry) => entry.digest).sort()).toEqual([a.manifest, a.own, a.config].sort());
    expect(await blobExists(digestOf(shared))).toBe(true);

    store = await openStore(dir);
    const manifest = await store.manifest('team/b', 'v1');
    expect(manifest?.digest).toBe(b.manifest);
    const parts: Buffer[] = [];
    for await (const part of await store.openBlob('team/b', digestOf(shared))) parts.push(part as Buffer);
    expect(digestOf(Buffer.concat(parts))).toBe(digestOf(shared));
    // An unused link was dropped with its blob: the repository no longer claims it.
    expect(await store.blobSize('team/a', a.own)).toBeUndefined();
    // Untagging keeps the manifest (it is still pullable by digest), so its content stays.
    await store.deleteManifest('team/b', 'v1');
    await store.close();
    expect(await storeStats(dir)).toEqual({ repositories: 1, images: 0, bytes: expect.any(Number) as number });
    expect((await collectGarbage(dir, { dryRun: false })).removed).toEqual([]);
    store = await openStore(dir);
    await store.deleteManifest('team/b', b.manifest);
    await store.close();
    await collectGarbage(dir, { dryRun: false });
    expect(await blobExists(digestOf(shared))).toBe(false);
    expect(await storeStats(dir)).toEqual({ repositories: 0, images: 0, bytes: 0 });
  });

  it('waits for a read-only server too, and runs once it has closed', async () => {
    await (await openStore(dir)).close();
    const reader = await openStore(dir, { readOnly: true });
    await expect(collectGarbage(dir, { dryRun: false })).rejects.toThrow(/in use by ferry serve/);
    await reader.close();
    expect((await collectGarbage(dir, { dryRun: false })).removed).toEqual([]);
  });

  it('refuses a folder that is not a store, and storeStats counts a missing one as empty', async () => {
    await expect(collectGarbage(root, { dryRun: true })).rejects.toThrow(/not a Ferry store/);
    expect(await storeStats(join(root, 'absent'))).toEqual({ repositories: 0, images: 0, bytes: 0 });
    await writeFile(join(root, 'file.txt'), 'x');
    await expect(storeStats(root)).rejects.toThrow(/not a Ferry registry store/);
  });
});
