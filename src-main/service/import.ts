/**
 * Import-side calls for the app: inspect a bundle, verify it as a job, push
 * it as a job (the steps of `ferry import`: verify, push, receipt, catalog),
 * and render the mirror configuration for a mapping.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { BundleInspection, ImportInput, ImportJobResult, RegistryAccessInput, VerifyJobResult } from '../../src-shared/api/contract.ts';
import { openBundle, type OpenedBundle } from '../bundle/bundle-reader.ts';
import { writeReceipt, type ImportReceipt } from '../bundle/receipt.ts';
import { verifyBundle } from '../bundle/verify.ts';
import type { Catalog } from '../catalog/index.ts';
import { withCatalogJob } from '../catalog/catalog-job.ts';
import { writeMirrorConfig } from '../mirror-config/write.ts';
import { formatReference, parseRegistryPrefix } from '../oci/reference.ts';
import { Registries } from '../oci/registry/registries.ts';
import { importBundle } from '../transfer/import.ts';
import { graphOf, planImport, type ImportTarget } from '../transfer/import-plan.ts';
import { accessFrom, argsObject, optionalString, requireString, type SavedLogin } from './access.ts';
import type { JobContext } from './jobs.ts';
import { recordImport } from '../catalog/job-records.ts';

/** Checks the input of import:run. */
export function importInput(raw: unknown): ImportInput {
  const args = argsObject(raw);
  const input: ImportInput = { bundle: requireString(args, 'bundle'), target: requireString(args, 'target') };
  if (args.keepRegistryHost === true) input.keepRegistryHost = true;
  if (typeof args.registry === 'object' && args.registry !== null) input.registry = args.registry as RegistryAccessInput;
  return input;
}

function importTarget(target: string, keepRegistryHost: boolean | undefined): ImportTarget {
  const { registry, prefix } = parseRegistryPrefix(target);
  return { registry, prefix, keepRegistryHost: keepRegistryHost === true };
}

/** import:inspect — what the bundle holds and, given a target, where each image would land. */
export async function inspectBundle(raw: unknown, catalog?: () => Catalog): Promise<BundleInspection> {
  const args = argsObject(raw);
  const opened = await openBundle(resolve(requireString(args, 'bundle')));
  const target = optionalString(args, 'target');
  const destinations = new Map<string, string>();
  if (target !== undefined) {
    for (const image of planImport(opened, importTarget(target, args.keepRegistryHost === true)).images) {
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
      name: ref.name, source: ref.source, digest: ref.digest, mediaType: ref.mediaType, platforms: graph.platforms,
      size: graph.manifests.reduce((sum, m) => sum + m.bytes.length, 0) + graph.blobs.reduce((sum, blob) => sum + blob.size, 0),
    };
    const destination = destinations.get(ref.name);
    // An incremental bundle's left-out blobs are only checked on the target, never pushed: the image's progress counts the rest.
    const blobs = all.filter((digest) => !omitted.has(digest));
    const omittedBytes = all.reduce((sum, digest) => sum + (omitted.get(digest) ?? 0), 0);
    // What is new for this site: the newest other bundle in the catalog that carried the same image (same manifest digest).
    const earlier = catalog?.().bundlesContaining(ref.digest).find((bundle) => bundle.id !== opened.manifest?.bundleId);
    return {
      ...image, ...(destination === undefined ? {} : { destination }), blobs, ...(omittedBytes > 0 ? { omittedBytes } : {}),
      carriedBefore: earlier ? { bundleId: earlier.id, created: earlier.created } : null,
    };
  });
  return { manifest: opened.manifest ?? null, images, form: opened.form };
}

/** One image's graph in the bundle; empty when its manifests are missing (verify says why). */
function imageGraph(opened: OpenedBundle, digest: string, mediaType: string): ReturnType<typeof graphOf> {
  try {
    return graphOf(opened, digest, mediaType);
  } catch {
    return { manifests: [], blobs: [], platforms: [] };
  }
}

/** The bytes verify will read: the parts of an archive, else the blobs. */
function bytesToRead(opened: OpenedBundle): number {
  if (opened.form === 'archive') return (opened.manifest?.parts ?? []).reduce((sum, part) => sum + part.size, 0);
  let total = 0;
  for (const size of opened.sizes.values()) total += size;
  return total;
}

/** Feeds a verification pass's bytes to the job's progress, against the bytes it will read. */
async function verifyProgress(dir: string, tracker: JobContext['tracker']): Promise<(bytes: number) => void> {
  const total = await openBundle(dir).then(bytesToRead, () => 0);
  let read = 0;
  tracker.verifying(0, total);
  return (bytes) => {
    read += bytes;
    tracker.verifying(read, total);
  };
}

/** bundle:verify's body: the full verifier, with its bytes read fed to the job's progress. */
export async function runVerifyJob(bundle: string, { signal, tracker }: JobContext): Promise<VerifyJobResult> {
  const dir = resolve(bundle);
  const report = await verifyBundle(dir, { signal, onBytes: await verifyProgress(dir, tracker) });
  return report;
}

/** import:run's body, as `ferry import` runs it (without --mirror-config, which `mirror:config` renders). */
export async function runImportJob(input: ImportInput, catalog: Catalog, { signal, tracker }: JobContext, savedLogin?: SavedLogin): Promise<ImportJobResult> {
  const bundle = resolve(input.bundle);
  const target = importTarget(input.target, input.keepRegistryHost);
  const registries = new Registries(accessFrom(input.registry, [target.registry], savedLogin));
  try {
    // The import verifies the whole bundle before its first write: the push step shows that pass as its first phase.
    const request = { bundle, target, signal, onEvent: tracker.onEvent, onVerifyBytes: await verifyProgress(bundle, tracker) };
    const summary = await withCatalogJob(catalog, 'import', `${bundle} -> ${input.target}`, { bundle, target: input.target }, (journal) => importBundle({ ...request, journal }, registries));
    const content: ImportReceipt = {
      receiptVersion: 1, site: null, registry: summary.target, bundleId: summary.bundleId ?? null,
      importedAt: new Date().toISOString(), images: summary.images, digests: summary.present,
    };
    const receipt = await writeReceipt(content, { bundleDir: bundle });
    recordImport(catalog, summary, undefined, undefined);
    return {
      bundleId: summary.bundleId, target: summary.target, images: summary.images, blobs: summary.blobs,
      bytesPushed: summary.bytesPushed, manifestsPushed: summary.manifestsPushed, receipt, seconds: summary.seconds,
    };
  } finally {
    await registries.close();
  }
}

/**
 * mirror:config — every format `ferry import --mirror-config` writes, as text.
 * They are written by the same function into a private temp folder and read
 * back, so the app and the CLI can never disagree on a file.
 */
export async function mirrorConfig(raw: unknown): Promise<{ files: Array<{ path: string; text: string }> }> {
  const args = argsObject(raw);
  const to = requireString(args, 'target');
  const target = importTarget(to, args.keepRegistryHost === true);
  const plan = planImport(await openBundle(resolve(requireString(args, 'bundle'))), target);
  const dir = await mkdtemp(join(tmpdir(), 'ferry-mirror-config-'));
  try {
    const written = await writeMirrorConfig(dir, plan.mappings, { mirrorRegistry: target.registry });
    const files = await Promise.all(written.map(async (path) => ({ path, text: await readFile(join(dir, ...path.split('/')), 'utf8') })));
    return { files };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
