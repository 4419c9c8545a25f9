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
import { join } from 'node:path';
import { FerryError, type ErrorCode } from '../../src-shared/errors.ts';
import { BUNDLE_FILES, type BundleManifest } from '../../src-shared/model/bundle.ts';
import { BUNDLE_MANIFEST_DOCUMENT, FERRY_JSON_LIMIT } from '../../src-shared/schemas/bundle-manifest.ts';
import { parseJsonDocument } from '../../src-shared/schemas/document.ts';
import { LAYOUT_MARKER_DOCUMENT } from '../../src-shared/schemas/oci.ts';
import { Limiter } from '../base/limiter.ts';
import { entryKind, KIND_WORDS, listBundleFolder, safeFileProblem, type SafeDirEntry } from '../base/safe-file.ts';
import { readBundleFileIfPresent, ReadBuffers, streamBundleFile } from '../base/safe-read.ts';
import { asBuffer, CheckingSink, copyBlob, type BlobSink, type BlobSource } from '../oci/blob-io.ts';
import { isDigest, sha256Digest } from '../oci/digest.ts';
import { listContent } from './content-list.ts';
import { checkBundleGraph, checkGraph, damagedBlobLines, ManifestCollector, newBlobFacts, parseIndexEntries, type BlobFacts } from './bundle-graph.ts';
import { verifiedView, type VerifiedBundle, type VerifiedParts } from './bundle-view.ts';
import { OCI_LAYOUT_CONTENT } from './layout.ts';
import { checkSignaturesFolder } from './signatures-folder.ts';
import { verifyArchive } from './verify-archive.ts';
import { CopyChecks, verifyThroughCopy } from './verify-copy.ts';
import { CheckRecorder, INDEX_LIMIT, throwIfCancelled, TOLERATED_LEFTOVER, type BlobKeeper, type VerifyOptions, type VerifyReport } from './verify-report.ts';

export { CHECK_ORDER, verificationFailed, type VerifyCheck, type VerifyCheckId, type VerifyOptions, type VerifyReport } from './verify-report.ts';

/** The export journal; a folder holding it but no ferry.json is an export that has not finished. */
const EXPORT_JOURNAL = '.ferry-export.json';

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
    if (report.ok && parts) {
      outcome.view = verifiedView(parts);
      report.contents = listContent(outcome.view);
    }
    return outcome;
  };
  recorder.open('schema');
  const loaded = await loadFerryJson(dir, recorder, options.signal);
  if (loaded === 'oci-layout') {
    report.form = 'oci-layout';
    const layout = await verifyLayout(dir, recorder, options);
    Object.assign(report, layout.counts);
    return finish(undefined, layout.parts);
  }
  if (!loaded) return finish();
  const { manifest, bytes: ferryBytes } = loaded;
  Object.assign(report, { form: manifest.form, bundleId: manifest.bundleId, images: manifest.images.length, blobs: manifest.blobs.length });
  // A partial bundle is valid when it says what it left out; the report passes that on (it never claims them).
  if (manifest.skipped?.length) report.skipped = manifest.skipped;
  const facts = newBlobFacts();
  options.onTotal?.((manifest.form === 'archive' ? manifest.parts : manifest.blobs).reduce((sum, item) => sum + item.size, 0));
  const read = manifest.form === 'directory' ? await verifyDirectory(dir, manifest, facts, recorder, options) : await verifyArchive(dir, manifest, facts, recorder, options);
  report.bytes = read.bytes;
  if (!read.complete) {
    recorder.fail('graph', 'not checked: the bundle could not be read to the end (see the checks above)');
    return finish(manifest);
  }
  if (read.index !== undefined) checkIndexPin(manifest, read.index, recorder);
  const graph = checkBundleGraph(manifest, read.index, facts);
  for (const problem of graph.problems) recorder.fail('graph', problem);
  // A damaged blob named with the images it belongs to (by their source), from the manifests that did verify.
  const sources = new Map(manifest.images.map((image) => [image.name, image.source]));
  for (const line of damagedBlobLines(graph.damagedIn, (image) => sources.get(image) ?? image)) recorder.fail('blobs', line);
  const index = read.index && graph.entries ? { bytes: read.index, entries: graph.entries } : undefined;
  return finish(manifest, index && { dir, form: manifest.form, ferry: { bytes: ferryBytes, manifest }, index, manifests: graph.reached, sizes: facts.present });
}

/**
 * ferry.json's pin of index.json (`index`, written since issue 14): the exact
 * bytes read must have that size and digest, so a signature over ferry.json
 * covers index.json too. A bundle without the pin verifies as before.
 */
function checkIndexPin(manifest: BundleManifest, index: Buffer, recorder: CheckRecorder): void {
  const pin = manifest.index;
  if (pin === undefined) return;
  const digest = sha256Digest(index);
  if (index.length !== pin.size || digest !== pin.digest) {
    recorder.fail(
      'files',
      `${BUNDLE_FILES.index} does not match its pin in ferry.json (content ${digest}, ${index.length} bytes; ferry.json says ${pin.digest}, ${pin.size} bytes)`,
      index.length !== pin.size ? 'SIZE_MISMATCH' : 'DIGEST_MISMATCH',
    );
  }
}

/**
 * Check 1: ferry.json exists, is strict JSON (no duplicate or prototype key,
 * within its size cap) and matches the schema; 'oci-layout' for a plain
 * layout without one. Every problem names its JSON path.
 */
async function loadFerryJson(dir: string, recorder: CheckRecorder, signal: AbortSignal | undefined): Promise<{ manifest: BundleManifest; bytes: Buffer } | 'oci-layout' | undefined> {
  const path = join(dir, BUNDLE_FILES.manifest);
  try {
    // Opened safely: a symlink, FIFO or device in its place is refused by name, never read; the size cap holds while reading too.
    const bytes = await readBundleFileIfPresent(dir, BUNDLE_FILES.manifest, { limit: FERRY_JSON_LIMIT, what: BUNDLE_FILES.manifest, ...(signal ? { signal } : {}) });
    if (bytes === undefined) {
      const [journal, layout] = await Promise.all([isFile(dir, EXPORT_JOURNAL), isFile(dir, BUNDLE_FILES.ociLayout)]);
      if (layout && !journal) return 'oci-layout';
      recorder.fail('schema', `${dir} has no ${BUNDLE_FILES.manifest}: it is not a finished bundle (an export may have stopped early; run it again to finish)`);
      return undefined;
    }
    return { manifest: parseJsonDocument(bytes, BUNDLE_MANIFEST_DOCUMENT, path), bytes };
  } catch (error) {
    throwIfCancelled(signal);
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

/** True when `name` in the bundle is a regular file (found with lstat: nothing is opened or followed). */
async function isFile(dir: string, name: string): Promise<boolean> {
  return (await entryKind(dir, name).catch(() => undefined))?.kind === 'file';
}

/**
 * Reads a small bundle file whole through the safe reader: its exact bytes and
 * their text, or the problem in plain words (missing, larger than `limit`, or
 * not a regular file, named by kind and never read).
 */
async function readSmall(dir: string, name: string, limit: number, signal: AbortSignal | undefined): Promise<{ bytes: Buffer; text: string } | { problem: string }> {
  try {
    const bytes = await readBundleFileIfPresent(dir, name, { limit, what: name, ...(signal ? { signal } : {}) });
    return bytes === undefined ? { problem: `${name} is missing` } : { bytes, text: bytes.toString('utf8') };
  } catch (error) {
    if (safeFileProblem(error) === 'cancelled') throw error;
    return { problem: error instanceof Error ? error.message : String(error) };
  }
}

/** A bundle folder's entries through the safe lister; a refusal (a symlinked folder) is recorded under `check` and the folder counts as empty. */
async function listFolder(dir: string, folder: string, recorder: CheckRecorder, check: 'files' | 'blobs', signal: AbortSignal | undefined): Promise<SafeDirEntry[]> {
  try {
    return (await listBundleFolder(dir, folder, signal ? { signal } : {})) ?? [];
  } catch (error) {
    if (safeFileProblem(error) === 'cancelled' || !(error instanceof FerryError)) throw error;
    recorder.fail(check, error.message, error.code);
    return [];
  }
}

/** A blob file to verify: its digest, its name under the bundle root, and the size it should have. */
interface BlobFile {
  digest: string;
  relative: string;
  size: number;
}

/** What verifying one blob file gave: the bytes read, and the problem for the blobs check, if any. */
interface BlobFileOutcome {
  bytes: number;
  failure?: { message: string; code: ErrorCode };
}

/** Blobs up to this size are verified SMALL_BLOB_CONCURRENCY at a time; larger ones one at a time, as removable media reads best. */
const SMALL_BLOB = 1024 * 1024;
/** A small blob (a manifest, a config) costs file system round trips, not bandwidth: eight in flight hide them. */
const SMALL_BLOB_CONCURRENCY = 8;

/**
 * Streams one blob file through the copy-and-verify routine into a check that
 * keeps nothing but a manifest it may be. The file counts as present from the
 * moment it is (safely) opened, with its size then.
 */
async function verifyBlobFile(dir: string, file: BlobFile, facts: BlobFacts, options: VerifyOptions, keeper: BlobKeeper | undefined): Promise<BlobFileOutcome> {
  const { digest, relative, size } = file;
  const collector = new ManifestCollector(size);
  let read = 0;
  // Lent read buffers, given back once the check has read the whole blob (the collector copies what it keeps).
  // Not for a caller's keepBlob sink: it may hold chunks longer than the ring lets them live.
  const buffers = options.keepBlob ? undefined : new ReadBuffers();
  const source: BlobSource = {
    describe: () => `blob ${digest}`,
    open: (_blob, start, signal) =>
      counted(streamBundleFile(dir, relative, { start, ...(buffers ? { buffers } : {}), onOpen: (found) => facts.present.set(digest, found), ...(signal ? { signal } : {}) }), (bytes) => {
        read += bytes;
        options.onBytes?.(bytes);
      }),
  };
  try {
    const inspect = (chunk: Uint8Array): void => collector.update(asBuffer(chunk));
    const sink = keeper ? inspecting(keeper, inspect) : new CheckingSink(inspect);
    await copyBlob({ digest, size }, source, sink, options.signal ? { signal: options.signal } : {});
    buffers?.release();
  } catch (error) {
    throwIfCancelled(options.signal);
    facts.damaged.add(digest);
    if (error instanceof FerryError) return { bytes: read, failure: { message: error.message, code: error.code } };
    return { bytes: read, failure: { message: `blob ${digest} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`, code: 'IO_ERROR' } };
  }
  const manifest = collector.result();
  if (manifest) facts.manifests.set(digest, manifest);
  return { bytes: read };
}

/** A caller's sink (VerifyOptions.keepBlob) that lets this pass see every verified chunk it reads too (to collect manifests). */
function inspecting(sink: BlobSink, inspect: (chunk: Uint8Array) => void): BlobSink {
  return {
    has: (blob, signal) => sink.has(blob, signal),
    write: (content, signal) => sink.write({ blob: content.blob, subject: content.subject, from: (offset, held) => tapped(content.from(offset, held), inspect) }, signal),
  };
}

/** Passes chunks on after `inspect` saw them. */
async function* tapped(stream: AsyncIterable<Uint8Array>, inspect: (chunk: Uint8Array) => void): AsyncGenerator<Uint8Array> {
  for await (const chunk of stream) {
    inspect(chunk);
    yield chunk;
  }
}

/**
 * Verifies blob files, small ones several at a time and large ones in turn,
 * and reports their problems to the blobs check in the order of `files`, so
 * the report reads the same however the reads interleave. Returns the bytes read.
 */
async function verifyBlobFiles(dir: string, files: BlobFile[], facts: BlobFacts, recorder: CheckRecorder, options: VerifyOptions): Promise<number> {
  const small = new Limiter(SMALL_BLOB_CONCURRENCY);
  const large = new Limiter(1);
  const checks = new CopyChecks();
  const outcomes = await Promise.all(
    files.map(async (file) => {
      const media = file.size <= SMALL_BLOB ? small : large;
      const keeper = options.keepBlob?.({ digest: file.digest, size: file.size });
      // A keeper's copy reads the media in the file's turn; its check reads the copy after that turn, beside the next file's.
      const copied = keeper && (await verifyThroughCopy(dir, file, keeper, facts, options, { media, checks }));
      return (
        copied ??
        media.run(async () => {
          throwIfCancelled(options.signal);
          return verifyBlobFile(dir, file, facts, options, keeper);
        })
      );
    }),
  );
  let bytes = 0;
  for (const { bytes: read, failure } of outcomes) {
    bytes += read;
    if (failure) recorder.fail('blobs', failure.message, failure.code);
  }
  return bytes;
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
  const allowedTop = new Set<string>([BUNDLE_FILES.ociLayout, BUNDLE_FILES.index, BUNDLE_FILES.manifest, 'blobs', BUNDLE_FILES.signatures]);
  const top = await listFolder(dir, '', recorder, 'files', options.signal);
  const extra = top.map((entry) => entry.name).filter((name) => !allowedTop.has(name) && !TOLERATED_LEFTOVER.test(name));
  await checkSignaturesFolder(dir, top, recorder, options.signal);
  const algorithms = (await listFolder(dir, 'blobs', recorder, 'blobs', options.signal)).map((entry) => entry.name);
  extra.push(...algorithms.filter((name) => name !== 'sha256').map((name) => `blobs/${name}`));
  const entries = algorithms.includes('sha256') ? await listFolder(dir, 'blobs/sha256', recorder, 'blobs', options.signal) : [];
  const names = entries.map((entry) => entry.name);
  const listed = new Map(manifest.blobs.map((blob) => [blob.digest.slice('sha256:'.length), blob]));
  extra.push(...names.filter((name) => !/^[a-f0-9]{64}$/.test(name)).map((name) => `blobs/sha256/${name}`));
  if (extra.length > 0) recorder.fail('files', `the bundle folder holds files ferry.json does not list: ${extra.slice(0, 10).join(', ')}${extra.length > 10 ? `, … (${extra.length} in all)` : ''}`);
  const unlisted = names.filter((name) => /^[a-f0-9]{64}$/.test(name) && !listed.has(name));
  for (const name of unlisted) recorder.fail('graph', `the bundle holds files ferry.json does not list: blobs/sha256/${name}`);
  const layout = await readSmall(dir, BUNDLE_FILES.ociLayout, 4096, options.signal);
  if ('problem' in layout) recorder.fail('files', layout.problem);
  else if (layout.text !== OCI_LAYOUT_CONTENT) recorder.fail('files', `${BUNDLE_FILES.ociLayout} is not an OCI layout version 1.0.0 marker`);
  const index = await readSmall(dir, BUNDLE_FILES.index, INDEX_LIMIT, options.signal);
  if ('problem' in index) recorder.fail('files', index.problem);
  const indexBytes = 'bytes' in index ? index.bytes : undefined;
  // The listing's kinds refuse a symlink, device or FIFO in place of a blob without following or opening it.
  const kinds = new Map(entries.map((entry) => [entry.name, entry.kind]));
  const files: BlobFile[] = [];
  for (const blob of manifest.blobs) {
    const hex = blob.digest.slice('sha256:'.length);
    const kind = kinds.get(hex);
    if (kind === undefined) continue;
    const relative = `blobs/sha256/${hex}`;
    if (kind !== 'file') recorder.fail('blobs', `blob ${blob.digest} is not a plain file (${relative} is ${KIND_WORDS[kind]})`);
    else files.push({ digest: blob.digest, relative, size: blob.size });
  }
  const bytes = await verifyBlobFiles(dir, files, facts, recorder, options);
  return indexBytes === undefined ? { bytes, complete: true } : { bytes, index: indexBytes, complete: true };
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
  const marker = await readSmall(dir, BUNDLE_FILES.ociLayout, 4096, options.signal);
  let version: string | undefined;
  try {
    version = 'text' in marker ? parseJsonDocument(marker.text, LAYOUT_MARKER_DOCUMENT, BUNDLE_FILES.ociLayout).imageLayoutVersion : undefined;
  } catch {
    version = undefined;
  }
  if ('problem' in marker) recorder.fail('schema', marker.problem);
  else if (version === undefined) recorder.fail('schema', `${BUNDLE_FILES.ociLayout} is not an OCI layout marker (no imageLayoutVersion)`);
  const index = await readSmall(dir, BUNDLE_FILES.index, INDEX_LIMIT, options.signal);
  const parsed = 'problem' in index ? index : parseIndexEntries(index.bytes);
  if ('problem' in parsed) recorder.fail('schema', parsed.problem);
  const facts = newBlobFacts();
  // Listed and sized first, so the pass can say how many bytes it will read before it reads them.
  const candidates: Array<{ digest: string; relative: string }> = [];
  for (const algorithm of await listFolder(dir, 'blobs', recorder, 'blobs', options.signal)) {
    if (algorithm.kind !== 'directory') {
      recorder.fail('blobs', `blobs/${algorithm.name} is ${KIND_WORDS[algorithm.kind]}, not a folder of blobs`);
      continue;
    }
    for (const entry of await listFolder(dir, `blobs/${algorithm.name}`, recorder, 'blobs', options.signal)) {
      const digest = `${algorithm.name}:${entry.name}`;
      const relative = `blobs/${algorithm.name}/${entry.name}`;
      if (!isDigest(digest)) recorder.fail('blobs', `${relative} is not a blob named by a digest Ferry can verify`);
      else if (entry.kind !== 'file') recorder.fail('blobs', `${relative} is ${KIND_WORDS[entry.kind]}, not a plain file: it is not read`);
      else candidates.push({ digest, relative });
    }
  }
  const sizing = new Limiter(SMALL_BLOB_CONCURRENCY);
  const sized = await Promise.all(
    candidates.map((candidate) =>
      sizing.run(async () => {
        throwIfCancelled(options.signal);
        return { ...candidate, info: await entryKind(dir, candidate.relative).catch(() => undefined) };
      }),
    ),
  );
  const files: BlobFile[] = [];
  for (const { digest, relative, info } of sized) {
    if (info?.kind === 'file') files.push({ digest, relative, size: info.size });
    else recorder.fail('blobs', `${relative} is ${KIND_WORDS[info?.kind ?? 'unknown']}, not a plain file: it is not read`);
  }
  options.onTotal?.(files.reduce((sum, file) => sum + file.size, 0));
  const bytes = await verifyBlobFiles(dir, files, facts, recorder, options);
  const counts = { images: 'entries' in parsed ? parsed.entries.length : 0, blobs: files.length, bytes };
  if (!('entries' in parsed) || !('bytes' in index)) {
    recorder.fail('graph', 'not checked: index.json cannot be read');
    return { counts };
  }
  const graph = checkGraph(parsed.entries, facts);
  for (const problem of graph.problems) recorder.fail('graph', problem);
  for (const line of damagedBlobLines(graph.damagedIn)) recorder.fail('blobs', line);
  return { counts, parts: { dir, form: 'oci-layout', index: { bytes: index.bytes, entries: parsed.entries }, manifests: graph.reached, sizes: facts.present } };
}
