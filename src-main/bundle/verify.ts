/**
 * `ferry verify`: checks a bundle in the order of DESIGN.md "Bundle
 * verification checks" — ferry.json schema, parts, blobs, graph, tar safety —
 * and reports every problem in plain language instead of stopping at the
 * first. A bad bundle never throws; only cancellation and programming errors
 * do. Also reads any plain OCI image layout (skopeo, oras, crane) without
 * ferry.json. Every byte is streamed once; memory holds only manifests.
 * A bundle that passes comes back with its verified view (bundle-view.ts):
 * the exact ferry.json, index.json and manifests this pass read, which is all
 * import, inspect and the catalog use afterwards.
 */
import { createReadStream } from 'node:fs';
import { lstat, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { FerryError } from '../../src-shared/errors.ts';
import { BUNDLE_FILES, type BundleManifest } from '../../src-shared/model/bundle.ts';
import { BUNDLE_MANIFEST_DOCUMENT, FERRY_JSON_LIMIT } from '../../src-shared/schemas/bundle-manifest.ts';
import { parseJsonDocument } from '../../src-shared/schemas/document.ts';
import { LAYOUT_MARKER_DOCUMENT } from '../../src-shared/schemas/oci.ts';
import { asBuffer, CheckingSink, copyBlob, type BlobSource } from '../oci/blob-io.ts';
import { isDigest } from '../oci/digest.ts';
import { checkBundleGraph, checkGraph, ManifestCollector, newBlobFacts, parseIndexEntries, type BlobFacts } from './bundle-graph.ts';
import { verifiedView, type VerifiedBundle, type VerifiedParts } from './bundle-view.ts';
import { OCI_LAYOUT_CONTENT } from './layout.ts';
import { verifyArchive } from './verify-archive.ts';
import { CheckRecorder, INDEX_LIMIT, throwIfCancelled, TOLERATED_LEFTOVER, type VerifyOptions, type VerifyReport } from './verify-report.ts';

export { CHECK_ORDER, verificationFailed, type VerifyCheck, type VerifyCheckId, type VerifyOptions, type VerifyReport } from './verify-report.ts';

/** The export journal; a folder holding it but no ferry.json is an export that has not finished. */
const EXPORT_JOURNAL = '.ferry-export.json';

/** 1 MiB reads: removable media is far faster with large sequential reads. */
const READ_HIGH_WATER_MARK = 1024 * 1024;

/** The full outcome: the report, what readBack needs (the parsed ferry.json and the recorder with error codes), and the verified view. */
export interface VerifyOutcome {
  report: VerifyReport;
  manifest?: BundleManifest;
  recorder: CheckRecorder;
  /** Present when, and only when, every check passed: what this pass read and checked, for import, inspect and the catalog. */
  view?: VerifiedBundle;
}

/** Verifies a bundle (either form) or a plain OCI layout; never throws for a bad bundle. */
export async function verifyBundle(dir: string, options: VerifyOptions = {}): Promise<VerifyReport> {
  return (await verifyBundleDetailed(dir, options)).report;
}

/** verifyBundle with the parsed ferry.json, the recorded error codes (for readBack) and, when it passed, the verified view. */
export async function verifyBundleDetailed(dir: string, options: VerifyOptions = {}): Promise<VerifyOutcome> {
  const recorder = new CheckRecorder();
  const report: VerifyReport = { ok: false, bundle: dir, checks: [], images: 0, blobs: 0, bytes: 0 };
  const finish = (manifest?: BundleManifest, parts?: VerifiedParts): VerifyOutcome => {
    report.checks = recorder.checks();
    report.ok = report.checks.length > 0 && report.checks.every((c) => c.ok);
    const outcome: VerifyOutcome = manifest ? { report, manifest, recorder } : { report, recorder };
    if (report.ok && parts) outcome.view = verifiedView(parts);
    return outcome;
  };
  recorder.open('schema');
  const loaded = await loadFerryJson(dir, recorder);
  if (loaded === 'oci-layout') {
    report.form = 'oci-layout';
    const layout = await verifyLayout(dir, recorder, options);
    Object.assign(report, layout.counts);
    return finish(undefined, layout.parts);
  }
  if (!loaded) return finish();
  const { manifest, bytes: ferryBytes } = loaded;
  Object.assign(report, { form: manifest.form, bundleId: manifest.bundleId, images: manifest.images.length, blobs: manifest.blobs.length });
  const facts = newBlobFacts();
  options.onTotal?.((manifest.form === 'archive' ? manifest.parts : manifest.blobs).reduce((sum, item) => sum + item.size, 0));
  const read = manifest.form === 'directory' ? await verifyDirectory(dir, manifest, facts, recorder, options) : await verifyArchive(dir, manifest, facts, recorder, options);
  report.bytes = read.bytes;
  if (!read.complete) {
    recorder.fail('graph', 'not checked: the bundle could not be read to the end (see the checks above)');
    return finish(manifest);
  }
  const graph = checkBundleGraph(manifest, read.index, facts);
  for (const problem of graph.problems) recorder.fail('graph', problem);
  const index = read.index && graph.entries ? { bytes: read.index, entries: graph.entries } : undefined;
  return finish(manifest, index && { dir, form: manifest.form, ferry: { bytes: ferryBytes, manifest }, index, manifests: graph.reached, sizes: facts.present });
}

/**
 * Check 1: ferry.json exists, is strict JSON (no duplicate or prototype key,
 * within its size cap) and matches the schema; 'oci-layout' for a plain
 * layout without one. Every problem names its JSON path.
 */
async function loadFerryJson(dir: string, recorder: CheckRecorder): Promise<{ manifest: BundleManifest; bytes: Buffer } | 'oci-layout' | undefined> {
  const path = join(dir, BUNDLE_FILES.manifest);
  const info = await stat(path).catch((error: unknown) => error as NodeJS.ErrnoException);
  if (info instanceof Error) {
    if (info.code !== 'ENOENT') {
      recorder.fail('schema', `cannot read ${path}: ${info.code ?? info.message}`, 'IO_ERROR');
      return undefined;
    }
    const [journal, layout] = await Promise.all([exists(join(dir, EXPORT_JOURNAL)), exists(join(dir, BUNDLE_FILES.ociLayout))]);
    if (layout && !journal) return 'oci-layout';
    recorder.fail('schema', `${dir} has no ${BUNDLE_FILES.manifest}: it is not a finished bundle (an export may have stopped early; run it again to finish)`);
    return undefined;
  }
  if (info.size > FERRY_JSON_LIMIT) {
    recorder.fail('schema', `${path} is ${info.size} bytes, more than any bundle's ferry.json (${FERRY_JSON_LIMIT})`, 'BUNDLE_INVALID');
    return undefined;
  }
  try {
    const bytes = await readFile(path);
    return { manifest: parseJsonDocument(bytes, BUNDLE_MANIFEST_DOCUMENT, path), bytes };
  } catch (error) {
    if (!(error instanceof FerryError)) {
      recorder.fail('schema', `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, 'IO_ERROR');
      return undefined;
    }
    const problems = error.details?.problems;
    if (Array.isArray(problems)) for (const problem of problems) recorder.fail('schema', `ferry.json does not match the bundle schema: ${String(problem)}`, error.code);
    else recorder.fail('schema', error.message, error.code);
    return undefined;
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Reads a small file whole, or undefined when it is missing or larger than `limit`. */
async function readSmall(path: string, limit: number): Promise<Buffer | undefined> {
  const info = await stat(path).catch(() => undefined);
  if (!info?.isFile() || info.size > limit) return undefined;
  return readFile(path).catch(() => undefined);
}

/**
 * Streams one blob file through the copy-and-verify routine into a check that
 * keeps nothing but a manifest it may be. Returns the bytes read; problems go
 * to the blobs check.
 */
async function verifyBlobFile(path: string, digest: string, size: number, facts: BlobFacts, recorder: CheckRecorder, options: VerifyOptions): Promise<number> {
  const collector = new ManifestCollector(size);
  let read = 0;
  const source: BlobSource = {
    describe: () => `blob ${digest}`,
    open: (_blob, start, signal) =>
      counted(createReadStream(path, { start, highWaterMark: READ_HIGH_WATER_MARK, ...(signal ? { signal } : {}) }) as AsyncIterable<Buffer>, (bytes) => {
        read += bytes;
        options.onBytes?.(bytes);
      }),
  };
  try {
    await copyBlob({ digest, size }, source, new CheckingSink((chunk) => collector.update(asBuffer(chunk))), options.signal ? { signal: options.signal } : {});
  } catch (error) {
    throwIfCancelled(options.signal);
    facts.damaged.add(digest);
    if (error instanceof FerryError) recorder.fail('blobs', error.message, error.code);
    else recorder.fail('blobs', `blob ${digest} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`, 'IO_ERROR');
    return read;
  }
  const manifest = collector.result();
  if (manifest) facts.manifests.set(digest, manifest);
  return read;
}

/** Passes a file's chunks on, counting them as they are read (before the check), for progress and the report. */
async function* counted(stream: AsyncIterable<Buffer>, onRead: (bytes: number) => void): AsyncGenerator<Buffer> {
  for await (const chunk of stream) {
    onRead(chunk.length);
    yield chunk;
  }
}

/** Directory form: files, then every listed blob, then (by the caller) the graph. */
async function verifyDirectory(
  dir: string,
  manifest: BundleManifest,
  facts: BlobFacts,
  recorder: CheckRecorder,
  options: VerifyOptions,
): Promise<{ bytes: number; index?: Buffer; complete: boolean }> {
  for (const id of ['blobs', 'graph', 'files'] as const) recorder.open(id);
  const allowedTop = new Set<string>([BUNDLE_FILES.ociLayout, BUNDLE_FILES.index, BUNDLE_FILES.manifest, 'blobs']);
  const extra = (await readdir(dir).catch(() => [] as string[])).filter((name) => !allowedTop.has(name) && !TOLERATED_LEFTOVER.test(name));
  const algorithms = await readdir(join(dir, 'blobs')).catch(() => [] as string[]);
  extra.push(...algorithms.filter((name) => name !== 'sha256').map((name) => `blobs/${name}`));
  const names = await readdir(join(dir, 'blobs', 'sha256')).catch(() => [] as string[]);
  const listed = new Map(manifest.blobs.map((blob) => [blob.digest.slice('sha256:'.length), blob]));
  extra.push(...names.filter((name) => !/^[a-f0-9]{64}$/.test(name)).map((name) => `blobs/sha256/${name}`));
  if (extra.length > 0) recorder.fail('files', `the bundle folder holds files ferry.json does not list: ${extra.slice(0, 10).join(', ')}${extra.length > 10 ? `, … (${extra.length} in all)` : ''}`);
  const unlisted = names.filter((name) => /^[a-f0-9]{64}$/.test(name) && !listed.has(name));
  for (const name of unlisted) recorder.fail('graph', `the bundle holds files ferry.json does not list: blobs/sha256/${name}`);
  const layoutText = (await readSmall(join(dir, BUNDLE_FILES.ociLayout), 4096))?.toString('utf8');
  if (layoutText !== OCI_LAYOUT_CONTENT) recorder.fail('files', `${BUNDLE_FILES.ociLayout} is missing or not an OCI layout version 1.0.0 marker`);
  const index = await readSmall(join(dir, BUNDLE_FILES.index), INDEX_LIMIT);
  if (index === undefined) recorder.fail('files', `${BUNDLE_FILES.index} is missing or larger than ${INDEX_LIMIT} bytes`);
  const present = new Set(names);
  let bytes = 0;
  for (const blob of manifest.blobs) {
    throwIfCancelled(options.signal);
    const hex = blob.digest.slice('sha256:'.length);
    if (!present.has(hex)) continue;
    const path = join(dir, 'blobs', 'sha256', hex);
    // lstat: a symlink, device or fifo in place of a blob is refused, never followed or read.
    const info = await lstat(path).catch(() => undefined);
    if (!info?.isFile()) {
      recorder.fail('blobs', `blob ${blob.digest} is not a plain file (blobs/sha256/${hex})`);
      continue;
    }
    facts.present.set(blob.digest, info.size);
    bytes += await verifyBlobFile(path, blob.digest, blob.size, facts, recorder, options);
  }
  return index === undefined ? { bytes, complete: true } : { bytes, index, complete: true };
}

/**
 * A plain OCI image layout without ferry.json (skopeo, oras, crane): the
 * oci-layout marker and index.json, every blob against the digest its file
 * name is, and every image's graph from index.json.
 * https://github.com/opencontainers/image-spec/blob/main/image-layout.md
 */
async function verifyLayout(dir: string, recorder: CheckRecorder, options: VerifyOptions): Promise<{ counts: { images: number; blobs: number; bytes: number }; parts?: VerifiedParts }> {
  recorder.open('schema', 'oci-layout marker and index.json are valid');
  for (const id of ['blobs', 'graph'] as const) recorder.open(id);
  const marker = await readSmall(join(dir, BUNDLE_FILES.ociLayout), 4096);
  let version: string | undefined;
  try {
    version = marker === undefined ? undefined : parseJsonDocument(marker, LAYOUT_MARKER_DOCUMENT, BUNDLE_FILES.ociLayout).imageLayoutVersion;
  } catch {
    version = undefined;
  }
  if (version === undefined) recorder.fail('schema', `${BUNDLE_FILES.ociLayout} is not an OCI layout marker (no imageLayoutVersion)`);
  const index = await readSmall(join(dir, BUNDLE_FILES.index), INDEX_LIMIT);
  const parsed = index === undefined ? { problem: `${BUNDLE_FILES.index} is missing or larger than ${INDEX_LIMIT} bytes` } : parseIndexEntries(index);
  if ('problem' in parsed) recorder.fail('schema', parsed.problem);
  const facts = newBlobFacts();
  let bytes = 0;
  // Listed first, so the pass can say how many bytes it will read before it reads them.
  const files: Array<{ digest: string; path: string; size: number }> = [];
  for (const algorithm of await readdir(join(dir, 'blobs')).catch(() => [] as string[])) {
    for (const name of await readdir(join(dir, 'blobs', algorithm)).catch(() => [] as string[])) {
      throwIfCancelled(options.signal);
      const digest = `${algorithm}:${name}`;
      const path = join(dir, 'blobs', algorithm, name);
      const info = await lstat(path).catch(() => undefined);
      if (!isDigest(digest) || !info?.isFile()) {
        recorder.fail('blobs', `blobs/${algorithm}/${name} is not a blob named by a digest Ferry can verify`);
        continue;
      }
      files.push({ digest, path, size: info.size });
    }
  }
  options.onTotal?.(files.reduce((sum, file) => sum + file.size, 0));
  for (const { digest, path, size } of files) {
    throwIfCancelled(options.signal);
    facts.present.set(digest, size);
    bytes += await verifyBlobFile(path, digest, size, facts, recorder, options);
  }
  const counts = { images: 'entries' in parsed ? parsed.entries.length : 0, blobs: files.length, bytes };
  if (!('entries' in parsed) || index === undefined) {
    recorder.fail('graph', 'not checked: index.json cannot be read');
    return { counts };
  }
  const graph = checkGraph(parsed.entries, facts);
  for (const problem of graph.problems) recorder.fail('graph', problem);
  return { counts, parts: { dir, form: 'oci-layout', index: { bytes: index, entries: parsed.entries }, manifests: graph.reached, sizes: facts.present } };
}
