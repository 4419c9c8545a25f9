/**
 * Writes an artifact's files out of a verified bundle (`ferry extract`): each
 * layer becomes the file its `org.opencontainers.image.title` names (a Helm
 * chart's untitled layers the names Helm gives them, chart-file-name.ts), and
 * a tar layer (a package repository) is unpacked safely (unpack-tar.ts). Blob bytes
 * are read from the media again and checked against their digests as they
 * stream; everything lands first in a private folder inside the destination
 * and is moved into place only once every layer passed, so a bad blob leaves
 * nothing behind and nothing existing is overwritten.
 */
import { randomBytes } from 'node:crypto';
import { copyFile, lstat, mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Descriptor } from '../../src-shared/model/oci.ts';
import { FerryError } from '../../src-shared/errors.ts';
import type { ContentKind } from '../../src-shared/model/content-kind.ts';
import { fsyncDir, writeFileDurable } from '../base/durable-write.ts';
import { verifiedContent } from '../oci/blob-io.ts';
import { ArchiveBlobs } from '../bundle/archive-blobs.ts';
import { BlobDirectory } from '../bundle/blob-directory.ts';
import type { BundleImageRef, VerifiedBundle } from '../bundle/bundle-view.ts';
import { listEntry } from '../bundle/content-list.ts';
import { TITLE_ANNOTATION } from '../oci/local-artifact.ts';
import { helmChartBaseName, helmConfigToRead, helmLayerSuffix } from './chart-file-name.ts';
import { safeRelativePath, unpackTar, type WrittenFile } from './unpack-tar.ts';

/** The layer media type that is unpacked rather than written as one file. */
const TAR_LAYER = 'application/vnd.oci.image.layer.v1.tar';

/** What was extracted, and where. */
export interface ExtractSummary {
  name: string;
  source: string;
  kind: ContentKind;
  artifactType?: string;
  to: string;
  /** Every file written, relative to `to`. */
  files: WrittenFile[];
  bytes: number;
  /** What the operator should know, e.g. why a chart's file kept its digest name. */
  notes?: string[];
}

/**
 * The entry `wanted` names: its name in the bundle, its target
 * (`path:tag`, or `path` when only one entry lands there) or its source.
 */
export function findEntry(view: VerifiedBundle, wanted: string): BundleImageRef {
  const exact = view.images.filter((ref) => ref.name === wanted || ref.source === wanted || ref.targets?.some((t) => `${t.path}:${t.tag ?? 'latest'}` === wanted));
  const byPath = exact.length > 0 ? exact : view.images.filter((ref) => ref.targets?.some((t) => t.path === wanted));
  const unique = [...new Map(byPath.map((ref) => [`${ref.name}@${ref.digest}`, ref])).values()];
  const [only] = unique;
  if (unique.length === 1 && only) return only;
  if (unique.length > 1)
    throw new FerryError('INVALID_ARGUMENT', `"${wanted}" names ${unique.length} entries of ${view.dir} (${unique.map((r) => r.name).join(', ')}); give the full name`, { wanted });
  const artifacts = view.images.filter((ref) => listEntry(view, ref).kind !== 'image').map((ref) => ref.name);
  throw new FerryError('NOT_FOUND', `${view.dir} holds no "${wanted}"${artifacts.length > 0 ? ` (its artifacts: ${artifacts.join(', ')})` : ' and no local artifact'}`, { wanted });
}

/** Where one layer goes: a file by its title, or (a tar) unpacked into the folder. */
interface LayerPlan {
  layer: Descriptor;
  title: string;
  unpack: boolean;
  /** For a layer without a title that Helm names: the suffix of that name (the file is written under its digest name first). */
  helmSuffix?: string;
}

/**
 * Reads every wanted layer of a verified bundle once, each checked against its
 * digest as it streams, in the order the media holds them (one pass over an
 * archive's parts); refuses a layer an incremental bundle leaves out. Extract
 * writes files from it; the import reads release signatures with it.
 */
export async function forEachVerifiedLayer(
  view: VerifiedBundle,
  layers: Descriptor[],
  visit: (layer: Descriptor, stream: AsyncIterable<Uint8Array>) => Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  const wanted = new Map(layers.map((layer) => [layer.digest, layer]));
  const omitted = new Set((view.manifest?.omitted ?? []).map((blob) => blob.digest));
  for (const layer of wanted.values()) {
    if (omitted.has(layer.digest))
      throw new FerryError('BUNDLE_INVALID', `${view.dir} leaves out layer ${layer.digest} (an incremental bundle: its parent carried it); extract it from the parent bundle`, {
        digest: layer.digest,
      });
  }
  if (view.form !== 'archive') {
    const store = new BlobDirectory(view.dir);
    for (const layer of wanted.values()) await visit(layer, verifiedContent(layer, store, signal ? { signal } : {}).from(0));
    return;
  }
  const archive = new ArchiveBlobs(view.dir, view.manifest?.parts ?? []);
  const done = new Set<string>();
  await archive.forEach(async ({ digest }, entry) => {
    const layer = wanted.get(digest);
    if (!layer || done.has(digest)) return;
    done.add(digest);
    await visit(layer, verifiedContent(layer, entry, { subject: archive.describe(layer), ...(signal ? { signal } : {}) }).from(0));
  }, signal);
  const missing = [...wanted.keys()].filter((digest) => !done.has(digest));
  if (missing.length > 0) throw new FerryError('BUNDLE_INVALID', `${view.dir}: layer ${missing[0] ?? ''} is not among the archive's blobs`, { digest: missing[0] });
}

/** The top-level names a staging folder holds, each refused if the destination has it already. */
async function checkFree(staging: string, to: string): Promise<string[]> {
  const names = await readdir(staging);
  const taken: string[] = [];
  for (const name of names) {
    if (await lstat(join(to, name)).catch(() => undefined)) taken.push(name);
  }
  if (taken.length > 0)
    throw new FerryError('INVALID_ARGUMENT', `${to} already holds ${taken.join(', ')}; extract into another folder or remove ${taken.length === 1 ? 'it' : 'them'} first`, { path: to, taken });
  return names;
}

/**
 * Renames the untitled Helm layers written under their digest names to the
 * names Helm gives them (`<base><suffix>`), updating the plans and the written
 * files; returns notes for those that keep the digest name (no usable name in
 * the config, two such layers of one kind, or a name another layer has).
 */
async function nameHelmLayers(
  staging: string,
  plans: LayerPlan[],
  titles: Set<string>,
  files: WrittenFile[],
  firstOf: Map<string, string>,
  named: { base: string } | { problem: string },
): Promise<string[]> {
  const helmPlans = plans.filter((plan) => plan.helmSuffix !== undefined);
  if ('problem' in named) return [`${named.problem}; the chart keeps its digest name`];
  const notes: string[] = [];
  for (const plan of helmPlans) {
    const title = `${named.base}${plan.helmSuffix ?? ''}`;
    if (helmPlans.filter((other) => other.helmSuffix === plan.helmSuffix).length > 1 || titles.has(title)) {
      notes.push(`more than one layer would be named ${title}; ${plan.title} keeps its digest name`);
      continue;
    }
    const old = plan.title;
    titles.delete(old);
    titles.add(title);
    plan.title = title;
    if (firstOf.get(plan.layer.digest) !== old) continue;
    await rename(join(staging, old), join(staging, title));
    firstOf.set(plan.layer.digest, title);
    for (const file of files) if (file.path === old) file.path = title;
  }
  return notes;
}

/** Extracts the artifact `wanted` names from a verified bundle into `to` (created if missing). */
export async function extractArtifact(view: VerifiedBundle, wanted: string, toDir: string, signal?: AbortSignal): Promise<ExtractSummary> {
  const ref = findEntry(view, wanted);
  const listed = listEntry(view, ref);
  if (listed.kind === 'image') {
    throw new FerryError(
      'INVALID_ARGUMENT',
      `${ref.name} is a container image, not an artifact: extract writes out files, charts and package repositories; import the image with ferry import, or read it as oci:${view.dir}:${ref.name}`,
      { name: ref.name },
    );
  }
  const manifest = view.manifests.get(ref.digest);
  const layers = manifest?.children.filter((child) => child.role === 'layer').map((child) => child.descriptor) ?? [];
  const plans: LayerPlan[] = layers.map((layer) => {
    const title = layer.annotations?.[TITLE_ANNOTATION];
    const unpack = layer.mediaType === TAR_LAYER;
    if (title !== undefined) return { layer, title: safeRelativePath(title, `${ref.name}: layer ${layer.digest}`), unpack };
    // A layer without a title (a chart pushed by helm) is named by its digest, and renamed as Helm names it once its config is read.
    const helmSuffix = unpack ? undefined : helmLayerSuffix(layer.mediaType);
    return { layer, title: safeRelativePath(layer.digest.replace(':', '-'), `${ref.name}: layer ${layer.digest}`), unpack, ...(helmSuffix !== undefined ? { helmSuffix } : {}) };
  });
  const helmConfig = helmConfigToRead(
    manifest?.children.find((child) => child.role === 'config')?.descriptor,
    plans.filter((plan) => plan.helmSuffix !== undefined).map((plan) => plan.layer),
  );
  // An incremental bundle may leave the config out (its parent carried it): the chart then keeps its digest name.
  const configOmitted = helmConfig !== undefined && (view.manifest?.omitted ?? []).some((blob) => blob.digest === helmConfig.digest);
  const config = configOmitted ? undefined : helmConfig;
  const titles = new Set<string>();
  for (const plan of plans) {
    if (titles.has(plan.title)) throw new FerryError('INVALID_CONTENT', `${ref.name}: two layers are both titled "${plan.title}"; nothing was written`, { title: plan.title });
    titles.add(plan.title);
  }
  const to = resolve(toDir);
  await mkdir(to, { recursive: true });
  const staging = join(to, `.ferry-extract-${randomBytes(6).toString('hex')}`);
  await mkdir(staging);
  try {
    const files: WrittenFile[] = [];
    const firstOf = new Map<string, string>();
    const configChunks: Uint8Array[] = [];
    await forEachVerifiedLayer(
      view,
      [...plans.map((plan) => plan.layer), ...(config ? [config] : [])],
      async (layer, stream) => {
        if (layer.digest === config?.digest) {
          for await (const chunk of stream) configChunks.push(chunk);
          return;
        }
        const plan = plans.find((p) => p.layer.digest === layer.digest);
        if (!plan) return;
        if (plan.unpack) {
          files.push(...(await unpackTar(stream, staging, `${ref.name}: layer ${plan.title}`, layer.size)));
          return;
        }
        const parts = plan.title.split('/');
        if (parts.length > 1) await mkdir(join(staging, ...parts.slice(0, -1)), { recursive: true });
        await writeFileDurable(join(staging, ...parts), stream);
        firstOf.set(layer.digest, plan.title);
        files.push({ path: plan.title, size: layer.size });
      },
      signal,
    );
    const notes = config ? await nameHelmLayers(staging, plans, titles, files, firstOf, helmChartBaseName(Buffer.concat(configChunks), `${ref.name}: config ${config.digest}`)) : [];
    if (configOmitted) notes.push(`${ref.name}: its config is left out of ${view.dir} (an incremental bundle); the chart keeps its digest name`);
    // Two layers with the same bytes are read once; the second file is a copy of the first, verified already.
    for (const plan of plans) {
      const first = firstOf.get(plan.layer.digest);
      if (plan.unpack || first === undefined || first === plan.title) continue;
      const parts = plan.title.split('/');
      if (parts.length > 1) await mkdir(join(staging, ...parts.slice(0, -1)), { recursive: true });
      await copyFile(join(staging, ...first.split('/')), join(staging, ...parts));
      files.push({ path: plan.title, size: plan.layer.size });
    }
    for (const name of await checkFree(staging, to)) await rename(join(staging, name), join(to, name));
    await fsyncDir(to);
    const summary: ExtractSummary = { name: ref.name, source: ref.source, kind: listed.kind, to, files, bytes: files.reduce((sum, file) => sum + file.size, 0) };
    if (listed.artifactType !== undefined) summary.artifactType = listed.artifactType;
    if (notes.length > 0) summary.notes = notes;
    return summary;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
