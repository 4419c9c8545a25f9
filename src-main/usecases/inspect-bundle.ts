/**
 * The inspector's use cases on the disconnected side: what a bundle holds,
 * where each image would land for a target, what is new for this site, and
 * the mirror configuration a mapping needs — the same files `ferry import
 * --mirror-config` writes, rendered as text for the app.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { BundleInspection } from '../../src-shared/api/contract.ts';
import { openBundle, type OpenedBundle } from '../bundle/bundle-reader.ts';
import type { Catalog } from '../catalog/index.ts';
import { formatReference } from '../oci/reference.ts';
import { graphOf, planImport } from '../transfer/import-plan.ts';
import { importTarget } from './import.ts';

/** Where a bundle would go: `REGISTRY[/PREFIX]` and whether the source host is kept in the path. */
export interface BundleTarget {
  target: string;
  keepRegistryHost?: boolean;
}

/** One image's graph in the bundle; empty when its manifests are missing (verify says why). */
function imageGraph(opened: OpenedBundle, digest: string, mediaType: string): ReturnType<typeof graphOf> {
  try {
    return graphOf(opened, digest, mediaType);
  } catch {
    return { manifests: [], blobs: [], platforms: [] };
  }
}

/** What the bundle holds and, given a target, where each image would land; with a catalog, which images are new here. */
export async function inspectBundle(bundle: string, to: BundleTarget | undefined, catalog: Catalog | undefined): Promise<BundleInspection> {
  const opened = await openBundle(resolve(bundle));
  const destinations = new Map<string, string>();
  if (to !== undefined) {
    for (const image of planImport(opened, importTarget(to.target, to.keepRegistryHost)).images) {
      if (!destinations.has(image.name)) destinations.set(image.name, formatReference(image.destination));
    }
  }
  const listed = new Map((opened.manifest?.images ?? []).map((image) => [image.name, image]));
  const omitted = new Map((opened.manifest?.omitted ?? []).map((blob) => [blob.digest, blob.size]));
  const images = opened.images.map((ref) => {
    const graph = imageGraph(opened, ref.digest, ref.mediaType);
    const all = graph.blobs.map((blob) => blob.digest);
    // A plain OCI layout has no ferry.json: its size and platforms come from its own manifests, as the exporter computes them.
    const image = listed.get(ref.name) ?? {
      name: ref.name,
      source: ref.source,
      digest: ref.digest,
      mediaType: ref.mediaType,
      platforms: graph.platforms,
      size: graph.manifests.reduce((sum, m) => sum + m.bytes.length, 0) + graph.blobs.reduce((sum, blob) => sum + blob.size, 0),
    };
    const destination = destinations.get(ref.name);
    // An incremental bundle's left-out blobs are only checked on the target, never pushed: the image's progress counts the rest.
    const blobs = all.filter((digest) => !omitted.has(digest));
    const omittedBytes = all.reduce((sum, digest) => sum + (omitted.get(digest) ?? 0), 0);
    // What is new for this site: the newest other bundle in the catalog that carried the same image (same manifest digest).
    const earlier = catalog?.bundlesContaining(ref.digest).find((row) => row.id !== opened.manifest?.bundleId);
    return {
      ...image,
      ...(destination === undefined ? {} : { destination }),
      blobs,
      ...(omittedBytes > 0 ? { omittedBytes } : {}),
      carriedBefore: earlier ? { bundleId: earlier.id, created: earlier.created } : null,
    };
  });
  return { manifest: opened.manifest ?? null, images, form: opened.form };
}

/**
 * Every mirror configuration file an import to `to` needs, as text. They are
 * written by the import's own writer into a private temp folder and read
 * back, so the app and the CLI can never disagree on a file.
 */
export async function renderMirrorConfig(bundle: string, to: BundleTarget): Promise<Array<{ path: string; text: string }>> {
  const target = importTarget(to.target, to.keepRegistryHost);
  const plan = planImport(await openBundle(resolve(bundle)), target);
  const dir = await mkdtemp(join(tmpdir(), 'ferry-mirror-config-'));
  try {
    const { writeMirrorConfig } = await import('../mirror-config/write.ts');
    const written = await writeMirrorConfig(dir, plan.mappings, { mirrorRegistry: target.registry });
    return await Promise.all(written.map(async (path) => ({ path, text: await readFile(join(dir, ...path.split('/')), 'utf8') })));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
