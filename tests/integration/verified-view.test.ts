/**
 * Issue 11, findings 1 and 2: an import pushes only what verification read.
 * A hook swaps bundle files between verification and the push (as a device
 * or FUSE mount that changes its files could); the images, tags and targets
 * pushed must still be the verified ones, and the app's inspector and mirror
 * configuration must refuse a bundle that has not passed verification.
 */
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importBundle } from '../../src-main/transfer/import.ts';
import { inspectBundle } from '../../src-main/service/import.ts';
import { mirrorConfig } from '../../src-main/service/mirror.ts';
import { VerifiedBundles } from '../../src-main/usecases/verify.ts';
import type { BundleManifest } from '../../src-shared/model/bundle.ts';
import { emptyAuthFile, registriesFor } from '../harness/ferry-access.ts';
import { buildFixtures, seedFixtures, type FixtureImage, type FixtureName } from '../harness/fixtures.ts';
import { startRegistry, type RunningRegistry } from '../harness/registry.ts';
import { Teardown } from '../harness/teardown.ts';
import { putManifestRaw } from '../harness/raw-push.ts';
import { failure, runFerry } from '../harness/test-helpers.ts';
import { resolveImageGraph } from '../../src-main/oci/image-graph.ts';
import { MAX_INDEX_NESTING } from '../../src-main/oci/media-types.ts';
import { ALL_PLATFORMS } from '../../src-main/oci/platform.ts';
import { parseReference } from '../../src-main/oci/reference.ts';
import { sha256Digest } from '../harness/fixture-content.ts';

let source: RunningRegistry;
let fixtures: Record<FixtureName, FixtureImage>;
let work: string;
const teardown = new Teardown();

/** Two bundles per form: the one verified (A: oci-single) and the one swapped in afterwards (B: docker-schema2). */
const bundles = { directory: { a: '', b: '' }, archive: { a: '', b: '' } };

const refOf = (name: FixtureName) => `${source.host}/${fixtures[name].repository}:${fixtures[name].tag}`;

beforeAll(async () => {
  source = teardown.add(await startRegistry({ mode: 'anonymous' }), (started) => started.stop());
  fixtures = await buildFixtures();
  await seedFixtures(source, [fixtures['oci-single'], fixtures['docker-schema2']]);
  work = await mkdtemp(join(tmpdir(), 'ferry-verified-view-'));
  for (const form of ['directory', 'archive'] as const) {
    for (const [key, name] of [
      ['a', 'oci-single'],
      ['b', 'docker-schema2'],
    ] as const) {
      const dir = join(work, `${form}-${key}`);
      const result = await runFerry('export', '--to', dir, refOf(name), '--plain-http', '--authfile', emptyAuthFile, ...(form === 'archive' ? ['--archive'] : []));
      if (result.code !== 0) throw new Error(`export failed: ${result.stderr}`);
      bundles[form][key] = dir;
    }
  }
});

afterAll(async () => {
  await teardown.run();
  if (work) await rm(work, { recursive: true, force: true });
});

/** A fresh copy of a bundle, so each test may damage its own. */
async function copyOf(dir: string, name: string): Promise<string> {
  const copy = join(work, `${name}-${Math.random().toString(16).slice(2)}`);
  await cp(dir, copy, { recursive: true });
  return copy;
}

/** Every repository and its tags in a registry (its catalog API). */
async function registryContent(registry: RunningRegistry): Promise<Record<string, string[]>> {
  const catalog = (await (await fetch(`${registry.url}/v2/_catalog`)).json()) as { repositories?: string[] };
  const out: Record<string, string[]> = {};
  for (const repository of catalog.repositories ?? []) {
    const tags = (await (await fetch(`${registry.url}/v2/${repository}/tags/list`)).json()) as { tags?: string[] | null };
    out[repository] = [...(tags.tags ?? [])].sort();
  }
  return out;
}

/** Imports `bundle` into a fresh registry, running `onVerified` between verification and the first write. */
async function importWithSwap(bundle: string, onVerified: () => Promise<void>): Promise<{ registry: RunningRegistry; result: Awaited<ReturnType<typeof importBundle>> | Error }> {
  const registry = await startRegistry({ mode: 'anonymous' });
  teardown.add(registry, (started) => started.stop());
  const registries = registriesFor(registry);
  try {
    const result = await importBundle({ bundle, target: { registry: registry.host, prefix: 'site', keepRegistryHost: false }, onVerified }, registries).catch((error: unknown) => error as Error);
    return { registry, result };
  } finally {
    await registries.close();
  }
}

const verifiedA = (): Record<string, string[]> => ({ [`site/${fixtures['oci-single'].repository}`]: [fixtures['oci-single'].tag] });

describe('media that changes after verification: nothing unverified is pushed', () => {
  it('directory form: ferry.json, index.json and the blobs of another bundle swapped in after verify', async () => {
    const a = await copyOf(bundles.directory.a, 'dir-swap');
    const b = bundles.directory.b;
    const { registry, result } = await importWithSwap(a, async () => {
      for (const name of await readdir(join(b, 'blobs', 'sha256'))) await cp(join(b, 'blobs', 'sha256', name), join(a, 'blobs', 'sha256', name));
      await cp(join(b, 'ferry.json'), join(a, 'ferry.json'));
      await cp(join(b, 'index.json'), join(a, 'index.json'));
    });
    if (result instanceof Error) throw result;
    expect(result.images.map((image) => image.digest)).toEqual([fixtures['oci-single'].manifestDigest]);
    expect(await registryContent(registry)).toEqual(verifiedA());
  });

  it('directory form: image targets rewritten in ferry.json after verify are not followed', async () => {
    const a = await copyOf(bundles.directory.a, 'dir-targets');
    const { registry, result } = await importWithSwap(a, async () => {
      const manifest = JSON.parse(await readFile(join(a, 'ferry.json'), 'utf8')) as BundleManifest;
      for (const image of manifest.images) image.targets = [{ path: 'evil/elsewhere', tag: 'pwned' }];
      await writeFile(join(a, 'ferry.json'), JSON.stringify(manifest));
    });
    if (result instanceof Error) throw result;
    expect(await registryContent(registry)).toEqual(verifiedA());
  });

  it('directory form: a manifest file replaced after verify: the verified bytes are pushed', async () => {
    const a = await copyOf(bundles.directory.a, 'dir-manifest');
    const root = fixtures['oci-single'].manifestDigest.slice('sha256:'.length);
    const { registry, result } = await importWithSwap(a, async () => {
      await writeFile(join(a, 'blobs', 'sha256', root), '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}');
    });
    if (result instanceof Error) throw result;
    expect(await registryContent(registry)).toEqual(verifiedA());
    const head = await fetch(`${registry.url}/v2/site/${fixtures['oci-single'].repository}/manifests/${fixtures['oci-single'].tag}`, {
      method: 'HEAD',
      headers: { accept: fixtures['oci-single'].mediaType },
    });
    expect(head.headers.get('docker-content-digest')).toBe(fixtures['oci-single'].manifestDigest);
  });

  it('archive form: ferry.json and parts of another bundle swapped in after verify', async () => {
    const a = await copyOf(bundles.archive.a, 'tar-swap');
    const b = bundles.archive.b;
    const { registry } = await importWithSwap(a, async () => {
      for (const name of await readdir(a)) if (name.startsWith('part-')) await rm(join(a, name));
      for (const name of await readdir(b)) if (name.startsWith('part-') || name === 'ferry.json') await cp(join(b, name), join(a, name));
    });
    // Whether it fails (A's blobs are no longer on the media) or not, B's image must not reach the registry.
    const content = await registryContent(registry);
    expect(Object.keys(content).filter((repository) => repository.includes(fixtures['docker-schema2'].repository))).toEqual([]);
  });
});

describe('the app verifies before it inspects a bundle or renders its mirror configuration', () => {
  it('refuses a damaged bundle, naming the failed check', async () => {
    const a = await copyOf(bundles.directory.a, 'app-damaged');
    const layer = fixtures['oci-single'].blobs.at(-1);
    if (!layer) throw new Error('fixture without blobs');
    const path = join(a, 'blobs', 'sha256', layer.digest.slice('sha256:'.length));
    const bytes = await readFile(path);
    bytes[bytes.length >> 1] = (bytes[bytes.length >> 1] ?? 0) ^ 1;
    await writeFile(path, bytes);
    const inspected = await failure(inspectBundle({ bundle: a }, new VerifiedBundles()));
    expect(inspected.code).toBe('BUNDLE_INVALID');
    expect(inspected.message).toMatch(/failed verification[\s\S]*digest/);
    const rendered = await failure(mirrorConfig({ bundle: a, target: 'mirror.local:5000' }, new VerifiedBundles()));
    expect(rendered.code).toBe('BUNDLE_INVALID');
  });
});

describe('the app keeps the view of the verify job it ran', () => {
  it('inspect and mirror:config use it while ferry.json is unchanged, and verify again when it is not', async () => {
    const a = await copyOf(bundles.directory.a, 'app-kept');
    const verified = new VerifiedBundles();
    const { runVerifyJob } = await import('../../src-main/service/import.ts');
    expect((await runVerifyJob(a, {}, verified)).ok).toBe(true);
    // A layer damaged after the verify job: the inspector shows what was verified, without reading the bundle again.
    const layer = fixtures['oci-single'].blobs.at(-1);
    if (!layer) throw new Error('fixture without blobs');
    await writeFile(join(a, 'blobs', 'sha256', layer.digest.slice('sha256:'.length)), 'damaged');
    const inspection = await inspectBundle({ bundle: a, target: 'mirror.local:5000/site' }, verified);
    expect(inspection.images.map((image) => image.digest)).toEqual([fixtures['oci-single'].manifestDigest]);
    expect(inspection.images[0]?.destination).toContain(`mirror.local:5000/site/${fixtures['oci-single'].repository}`);
    expect((await mirrorConfig({ bundle: a, target: 'mirror.local:5000/site' }, verified)).files.length).toBeGreaterThan(0);
    // Another ferry.json in the folder: the kept view no longer applies, and the damaged bundle is verified (and refused).
    await writeFile(join(a, 'ferry.json'), `${(await readFile(join(a, 'ferry.json'), 'utf8')).trimEnd()} \n`);
    expect((await failure(inspectBundle({ bundle: a }, verified))).message).toMatch(/failed verification \(blobs/);
  });
});

describe('indexes nested in a registry', () => {
  it(`resolving refuses indexes nested more than ${MAX_INDEX_NESTING} levels, naming the reference and depth; ${MAX_INDEX_NESTING} levels resolve`, async () => {
    const fixture = fixtures['oci-single'];
    const push = async (tag: string, levels: number): Promise<void> => {
      let top = { mediaType: fixture.mediaType, digest: fixture.manifestDigest, size: fixture.manifests[0]?.size ?? 0 };
      for (let level = 0; level < levels; level += 1) {
        const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [top] }));
        const digest = sha256Digest(bytes);
        await putManifestRaw(source, fixture.repository, level === levels - 1 ? tag : digest, 'application/vnd.oci.image.index.v1+json', bytes);
        top = { mediaType: 'application/vnd.oci.image.index.v1+json', digest, size: bytes.length };
      }
    };
    await push('nested-ok', MAX_INDEX_NESTING + 1);
    await push('nested-deep', MAX_INDEX_NESTING + 2);
    const registries = registriesFor(source);
    try {
      const client = await registries.client(source.host);
      const ok = await resolveImageGraph(client, parseReference(`${source.host}/${fixture.repository}:nested-ok`), ALL_PLATFORMS);
      expect(ok.blobs.map((blob) => blob.digest).sort()).toEqual(fixture.blobs.map((blob) => blob.digest).sort());
      const deep = await failure(resolveImageGraph(client, parseReference(`${source.host}/${fixture.repository}:nested-deep`), ALL_PLATFORMS));
      expect(deep.code).toBe('INVALID_MANIFEST');
      expect(deep.message).toMatch(new RegExp(`nested-deep: index sha256:[0-9a-f]{64} is nested more than ${MAX_INDEX_NESTING} levels below the root \\(at depth ${MAX_INDEX_NESTING + 1}\\)`));
    } finally {
      await registries.close();
    }
  });
});
