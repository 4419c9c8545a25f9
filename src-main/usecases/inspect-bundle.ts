/**
 * The inspector's use cases on the disconnected side: what a bundle holds,
 * where each image would land for a target, what is new for this site, and
 * the mirror configuration a mapping needs — the same files `ferry import
 * --mirror-config` writes, rendered as text for the app. Both work on a
 * bundle's verified view only (usecases/verify.ts): nothing of a bundle is
 * parsed here, and only release-signature layers are read, digest-checked.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BundleInspection } from '../../src-shared/api/contract.ts';
import type { ReferrerPresence } from '../../src-shared/model/trust.ts';
import type { VerifiedBundle } from '../bundle/bundle-view.ts';
import type { InstallStep } from '../mirror-config/install-guide.ts';
import { listEntry } from '../bundle/content-list.ts';
import type { Catalog } from '../catalog/index.ts';
import { formatReference } from '../oci/reference.ts';
import { graphOf, planImport } from '../transfer/import-plan.ts';
import { clusterResourcesOfBundle } from './cluster-resources.ts';
import type { RegistrySettings } from './access.ts';
import { importTarget } from './import.ts';
import { mirrorTrust, targetText } from './mirror-trust.ts';

/** Where a bundle would go: `REGISTRY[/PREFIX]` and whether the source host is kept in the path. */
export interface BundleTarget {
  target: string;
  keepRegistryHost?: boolean;
  /** The import's nesting limit (`--max-nested-paths`), so the preview lands images where the import will. */
  maxNestedPaths?: number;
}

/** What a verified bundle holds and, given a target, where each image would land; with a catalog, which images are new here. */
export function inspectBundle(view: VerifiedBundle, to: BundleTarget | undefined, catalog: Catalog | undefined): BundleInspection {
  const destinations = new Map<string, string>();
  if (to !== undefined) {
    for (const image of planImport(view, importTarget(to.target, to.keepRegistryHost, to.maxNestedPaths)).images) {
      if (!destinations.has(image.name)) destinations.set(image.name, formatReference(image.destination));
    }
  }
  const listed = new Map((view.manifest?.images ?? []).map((image) => [image.name, image]));
  const omitted = new Map((view.manifest?.omitted ?? []).map((blob) => [blob.digest, blob.size]));
  const images = view.images.map((ref) => {
    const graph = graphOf(view, ref.digest, ref.name);
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
    const earlier = catalog?.bundlesContaining(ref.digest).find((row) => row.id !== view.manifest?.bundleId);
    const content = listEntry(view, ref);
    return {
      ...image,
      kind: content.kind,
      ...(content.files ? { files: content.files } : {}),
      ...(destination === undefined ? {} : { destination }),
      blobs,
      ...(omittedBytes > 0 ? { omittedBytes } : {}),
      carriedBefore: earlier ? { bundleId: earlier.id, created: earlier.created } : null,
    };
  });
  return { manifest: view.manifest ?? null, images, form: view.form, referrers: referrerPresence(view) };
}

/**
 * Per image the bundle carries (referrers themselves aside): whether a signature, an attestation
 * and an SBOM travel with it, from ferry.json's `referrer` entries of the verified view. What the
 * inspector and the officer's Review step show; it says "present", not "valid" (image-signature checks do that).
 */
export function referrerPresence(view: VerifiedBundle): ReferrerPresence[] {
  const kinds = new Map<string, Set<string>>();
  for (const image of view.images) {
    if (image.referrer === undefined) continue;
    const found = kinds.get(image.referrer.subject) ?? new Set<string>();
    found.add(image.referrer.kind);
    kinds.set(image.referrer.subject, found);
  }
  return view.images
    .filter((image) => image.referrer === undefined && image.artifactType === undefined)
    .map((image) => {
      const found = kinds.get(image.digest);
      return { image: image.name, digest: image.digest, signature: found?.has('signature') === true, attestation: found?.has('attestation') === true, sbom: found?.has('sbom') === true };
    });
}

/** One rendered file: its relative path, its text and, when it is installed somewhere, where and how (mirror-config/install-guide.ts). */
export interface RenderedMirrorFile {
  path: string;
  text: string;
  install?: InstallStep;
}

/** How the import reaches the mirror (its settings and CA), so the rendered files say how the nodes must reach it. */
export interface MirrorAccess {
  registry?: RegistrySettings;
  /** The mirror's CA: a PEM path or PEM text; default `registry.caCertFiles`. */
  mirrorCa?: string;
}

/**
 * Writes every mirror configuration file an import to `to` needs into `dir`
 * with the import's own writer (writeMirrorConfig: file modes, portable
 * folder names, symlinked folders refused, an earlier run's files removed).
 */
async function writeMirrorFiles(view: VerifiedBundle, to: BundleTarget, access: MirrorAccess, dir: string): Promise<{ written: string[]; removed: string[] }> {
  const target = importTarget(to.target, to.keepRegistryHost, to.maxNestedPaths);
  const trust = await mirrorTrust(access.registry ?? {}, access.mirrorCa);
  const plan = planImport(view, target);
  const { writeMirrorConfig } = await import('../mirror-config/write.ts');
  const { hasClusterResources } = await import('../mirror-config/openshift-resources.ts');
  // Without the site's registry, a signature layer an incremental bundle leaves out is left out of this preview; the import reads it from the registry.
  const resources = await clusterResourcesOfBundle(
    view,
    plan.images.map((image) => ({ name: image.name, destination: formatReference(image.destination) })),
  );
  return writeMirrorConfig(dir, plan.mappings, { mirrorRegistry: targetText(target), ...trust }, hasClusterResources(resources) ? resources : undefined);
}

/**
 * Every mirror configuration file an import to `to` needs, as text. They are
 * written by the import's own writer into a private temp folder and read
 * back, so the app and the CLI can never disagree on a file.
 */
export async function renderMirrorConfig(view: VerifiedBundle, to: BundleTarget, access: MirrorAccess = {}): Promise<RenderedMirrorFile[]> {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-mirror-config-'));
  try {
    const { written } = await writeMirrorFiles(view, to, access, dir);
    const { installGuide } = await import('../mirror-config/install-guide.ts');
    return await Promise.all(
      written.map(async (path) => {
        const install = installGuide(path);
        return { path, text: await readFile(join(dir, ...path.split('/')), 'utf8'), ...(install !== undefined ? { install } : {}) };
      }),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Writes the same files into the folder the user chose (the app's "Save
 * all"), exactly as `ferry import --mirror-config DIR` does, so both share one
 * writer. Returns the relative paths written and removed.
 */
export async function saveMirrorConfigFiles(view: VerifiedBundle, to: BundleTarget, access: MirrorAccess, folder: string): Promise<{ written: string[]; removed: string[] }> {
  return writeMirrorFiles(view, to, access, folder);
}
