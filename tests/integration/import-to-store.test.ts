import { createHash } from 'node:crypto';
import { cp, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Catalog } from '../../src-main/catalog/index.ts';
import { startRegistryServer } from '../../src-main/serve/registry-server.ts';
import { openStore } from '../../src-main/serve/store.ts';
import { importToStore } from '../../src-main/usecases/import-to-store.ts';
import type { RegistryReader } from '../../src-main/serve/storage.ts';
import { emptyAuthFile } from '../harness/ferry-access.ts';
import { buildFixtures, seedFixtures, type FixtureImage, type FixtureName } from '../harness/fixtures.ts';
import { startRegistry, type RunningRegistry } from '../harness/registry.ts';
import { runSkopeo } from '../harness/skopeo.ts';
import { Teardown } from '../harness/teardown.ts';
import { runFerry } from '../harness/test-helpers.ts';

const NAMES: FixtureName[] = ['oci-single', 'docker-schema2', 'oci-index', 'docker-list', 'artifact-referrer', 'empty-layer', 'big-layers'];
const teardown = new Teardown();
let source: RunningRegistry;
let fixtures: Record<FixtureName, FixtureImage>;
let work: string;
let bundle: string;
let archive: string;

const sha256 = (bytes: Buffer): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Every fixture image is in the store under `prefix`, tag and digest, with every blob intact. */
async function expectAllInStore(reader: RegistryReader, prefix: string): Promise<void> {
  for (const name of NAMES) {
    const fixture = fixtures[name];
    const repository = `${prefix}${fixture.repository}`;
    expect((await reader.manifest(repository, fixture.tag))?.digest, name).toBe(fixture.manifestDigest);
    for (const blob of fixture.blobs) {
      expect(await reader.blobSize(repository, blob.digest), `${name} ${blob.digest}`).toBe(blob.size);
      expect(sha256(await readAll(await reader.openBlob(repository, blob.digest)))).toBe(blob.digest);
    }
  }
}

beforeAll(async () => {
  source = teardown.add(await startRegistry({ mode: 'anonymous' }), (started) => started.stop());
  fixtures = await buildFixtures();
  await seedFixtures(source, Object.values(fixtures));
  work = await mkdtemp(join(tmpdir(), 'ferry-import-to-store-'));
  const list = join(work, 'images.txt');
  await writeFile(list, NAMES.map((name) => `${source.host}/${fixtures[name].repository}:${fixtures[name].tag}`).join('\n'));
  bundle = join(work, 'bundle');
  archive = join(work, 'archive');
  for (const [dir, extra] of [
    [bundle, []],
    [archive, ['--archive', '--part-size', '1MiB']],
  ] as const) {
    const result = await runFerry('export', '--to', dir, '--images', list, '--plain-http', '--authfile', emptyAuthFile, ...extra);
    if (result.code !== 0) throw new Error(`export failed: ${result.stderr}`);
  }
});

afterAll(async () => {
  await teardown.run();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('ferry import --to-store: straight into a ferry serve store', () => {
  it('writes a directory bundle into a new store, recorded in the catalog like any import, and skopeo pulls it with identical digests', async () => {
    const store = join(work, 'store-dir');
    const catalogFile = join(work, 'catalog-dir.sqlite');
    const mirrorConfig = join(work, 'mirror-config');
    const args = ['import', bundle, '--to-store', store, '--to', 'mirror.example:5000', '--catalog', catalogFile, '--site', 'plant-1', '--receipt', join(work, 'receipt-dir.json')];
    const result = await runFerry(...args, '--mirror-config', mirrorConfig, '--json');
    expect(result.code, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout) as { target: string; blobs: { copied: number; skipped: number }; images: Array<{ destination: string }>; mirrorConfig: string[] };
    expect(summary.target).toBe('mirror.example:5000');
    expect(summary.blobs.copied).toBeGreaterThan(0);
    expect(summary.images.map((i) => i.destination)).toContain(`mirror.example:5000/${fixtures['oci-single'].repository}:v1@${fixtures['oci-single'].manifestDigest}`);
    // The mirror configuration names the served address.
    expect(summary.mirrorConfig.length).toBeGreaterThan(0);
    const receipt = JSON.parse(await readFile(join(work, 'receipt-dir.json'), 'utf8')) as { registry: string; digests: string[] };
    expect(receipt.registry).toBe('mirror.example:5000');
    expect(receipt.digests).toContain(fixtures['big-layers'].manifestDigest);

    const catalog = Catalog.open(catalogFile);
    try {
      expect(catalog.jobs().find((job) => job.kind === 'import')?.status).toBe('succeeded');
      expect(catalog.sites().map((site) => site.name)).toContain('plant-1');
      expect(catalog.bundles().length).toBe(1);
      expect(catalog.auditLog().some((entry) => entry.action === 'import')).toBe(true);
    } finally {
      catalog.close();
    }

    const reader = await openStore(store, { readOnly: true });
    await expectAllInStore(reader, '');
    // No blob is readable by other users, those the kernel copied (which start with the bundle file's mode) included.
    for (const entry of await readdir(join(store, 'blobs'), { recursive: true, withFileTypes: true })) {
      if (entry.isFile()) expect((await stat(join(entry.parentPath, entry.name))).mode & 0o007, entry.name).toBe(0);
    }
    const server = teardown.add(await startRegistryServer({ reader, host: '127.0.0.1', port: 0 }), (s) => s.close());
    for (const name of NAMES) {
      const fixture = fixtures[name];
      const ref = `docker://${server.address}/${fixture.repository}:${fixture.tag}`;
      expect(sha256(await runSkopeo(['inspect', '--raw', '--tls-verify=false', ref])), name).toBe(fixture.manifestDigest);
      // A whole pull (every platform, every blob checked by skopeo) into a dir: copy, which keeps Docker types as they are.
      const pulled = join(work, `pulled-${name}`);
      await runSkopeo(['copy', '--quiet', '--all', '--preserve-digests', '--src-tls-verify=false', ref, `dir:${pulled}`]);
      expect(sha256(await readFile(join(pulled, 'manifest.json'))), name).toBe(fixture.manifestDigest);
    }
    await server.close();

    // A rerun writes nothing: every blob is linked, every manifest and tag already there.
    const again = await runFerry(...args, '--json');
    expect(again.code, again.stderr).toBe(0);
    const rerun = JSON.parse(again.stdout) as { blobs: { copied: number; skipped: number }; manifestsPushed: number; bytesPushed: number };
    expect(rerun.blobs.copied).toBe(0);
    expect(rerun.bytesPushed).toBe(0);
    expect(rerun.manifestsPushed).toBe(0);
  });

  it('writes an archive bundle under the prefix --to gives, from one pass over its parts', async () => {
    const store = join(work, 'store-archive');
    const result = await runFerry('import', archive, '--to-store', store, '--to', 'localhost:5000/site', '--catalog', join(work, 'catalog-archive.sqlite'), '--receipt', join(work, 'r.json'));
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`written into the store ${store}`);
    const reader = await openStore(store, { readOnly: true });
    await expectAllInStore(reader, 'site/');
  });

  it('refuses a bundle that fails verification before the store holds anything, and a dry run creates no store', async () => {
    const broken = join(work, 'broken');
    await cp(bundle, broken, { recursive: true });
    const blob = fixtures['big-layers'].blobs[0];
    await writeFile(join(broken, 'blobs', 'sha256', blob?.digest.slice('sha256:'.length) ?? ''), 'changed');
    const store = join(work, 'store-broken');
    const result = await runFerry('import', broken, '--to-store', store, '--catalog', join(work, 'catalog-broken.sqlite'));
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('nothing was written to the store');
    const reader = await openStore(store, { readOnly: true });
    expect(await reader.repositories()).toEqual([]);
    // Verification staged the good blobs in the store as it read them: none stays, not even as a temp file.
    const left = (await readdir(join(store, 'blobs'), { recursive: true, withFileTypes: true })).filter((entry) => entry.isFile());
    expect(left.map((entry) => entry.name)).toEqual([]);

    // The same size with one byte changed: a large blob is copied into the store whole and the copy checked (store-staging.ts); the copy that fails goes too.
    const flipped = join(work, 'flipped');
    await cp(bundle, flipped, { recursive: true });
    const layer = fixtures['big-layers'].blobs.reduce((largest, candidate) => (candidate.size > largest.size ? candidate : largest));
    const layerFile = join(flipped, 'blobs', 'sha256', layer.digest.slice('sha256:'.length));
    const bytes = await readFile(layerFile);
    const middle = bytes.length >> 1;
    bytes.writeUInt8((bytes.readUInt8(middle) + 1) & 0xff, middle);
    await writeFile(layerFile, bytes);
    const flippedStore = join(work, 'store-flipped');
    const refused = await runFerry('import', flipped, '--to-store', flippedStore, '--catalog', join(work, 'catalog-flipped.sqlite'));
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(layer.digest);
    expect(refused.stderr).toContain('nothing was written to the store');
    const staged = (await readdir(join(flippedStore, 'blobs'), { recursive: true, withFileTypes: true })).filter((entry) => entry.isFile());
    expect(staged.map((entry) => entry.name)).toEqual([]);

    const dry = join(work, 'store-dry');
    const dryRun = await runFerry('import', bundle, '--to-store', dry, '--dry-run', '--catalog', join(work, 'catalog-dry.sqlite'));
    expect(dryRun.code, dryRun.stderr).toBe(0);
    expect(dryRun.stdout).toContain('would import');
    await expect(openStore(dry, { readOnly: true })).rejects.toThrow(/does not exist/);
  });

  it('leaves no staged blob behind when the import is cancelled during verification', async () => {
    const store = join(work, 'store-cancelled');
    const controller = new AbortController();
    let read = 0;
    const importing = importToStore(
      {
        bundle,
        target: { registry: 'localhost', prefix: 'ferry', keepRegistryHost: false },
        signal: controller.signal,
        onVerifyBytes: (bytes) => {
          read += bytes;
          if (read > 1024 * 1024) controller.abort();
        },
      },
      store,
    );
    await expect(importing).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(read).toBeGreaterThan(1024 * 1024);
    const left = (await readdir(join(store, 'blobs'), { recursive: true, withFileTypes: true })).filter((entry) => entry.isFile());
    expect(left.map((entry) => entry.name)).toEqual([]);
  });

  it('refuses --mirror-config without the served address', async () => {
    const result = await runFerry('import', bundle, '--to-store', join(work, 'store-x'), '--mirror-config', join(work, 'mc'), '--catalog', join(work, 'catalog-x.sqlite'));
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('--to HOST:PORT');
  });
});
