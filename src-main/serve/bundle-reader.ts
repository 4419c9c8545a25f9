/**
 * `ferry serve --bundle DIR`: a verified bundle served read-only straight
 * from the drive, so a site can pull without importing first (hauler's
 * `store serve` does this for its store).
 *
 * - The whole bundle is verified first (bundle/verify.ts, every byte); a
 *   bundle that fails is not served at all. Repositories, tags, manifests and
 *   sizes then come from the verified view alone (bundle-placement.ts says
 *   where each image is served: where `ferry import --to HOST` with no
 *   prefix would land it).
 * - Blob bytes are read from the drive again for every request and checked
 *   against their digest as they stream: the response's last chunk is sent
 *   only once the whole blob matched, so a blob changed on the media since
 *   verification ends in an aborted response, never a complete wrong one.
 *   A Range request reads the blob from its start for the same reason (the
 *   bytes outside the range are hashed, not sent).
 * - Directory form and plain OCI layouts are served. An archive bundle is
 *   refused: its blobs sit in tar parts that can only be read in one pass,
 *   so the message says to import it into a store (`ferry import BUNDLE
 *   --to-store DIR`) and serve that. An incremental bundle is refused too:
 *   it lacks the blobs its parent carried.
 * https://github.com/opencontainers/distribution-spec/blob/main/spec.md#pull
 */
import { resolve } from 'node:path';
import { Readable } from 'node:stream';
import { FerryError } from '../../src-shared/errors.ts';
import { BUNDLE_FILES } from '../../src-shared/model/bundle.ts';
import type { Descriptor } from '../../src-shared/model/oci.ts';
import { BUNDLE_MANIFEST_DOCUMENT, FERRY_JSON_LIMIT } from '../../src-shared/schemas/bundle-manifest.ts';
import { parseJsonDocument } from '../../src-shared/schemas/document.ts';
import { readBundleFileIfPresent } from '../base/safe-read.ts';
import { BlobDirectory } from '../bundle/blob-directory.ts';
import type { VerifiedBundle } from '../bundle/bundle-view.ts';
import { verificationFailed, verifyBundleDetailed } from '../bundle/verify.ts';
import { DigestVerifier, isDigest, verifyingStream } from '../oci/digest.ts';
import { servedRepositories, type ServedRepository } from './bundle-placement.ts';
import { RegistryProblem } from './problems.ts';
import { checkRepositoryName } from './store-layout.ts';
import type { ByteRange, RegistryReader, StoredManifest } from './storage.ts';

/** Options of openBundleReader: cancel the verification pass, and hear its bytes for progress. */
export interface BundleReaderOptions {
  signal?: AbortSignal;
  /** Told every chunk the verification pass reads. */
  onBytes?: (n: number) => void;
}

/** Refuses a name that is not a repository name before anything is looked up (the one grammar, store-layout.ts). */
const checkName = checkRepositoryName;

/** The refusal of an archive bundle, naming what to do instead. */
function archiveRefused(dir: string): FerryError {
  return new FerryError(
    'INVALID_ARGUMENT',
    `${dir} is an archive bundle: its blobs sit in tar parts that can only be read in one pass, so it cannot be served from the drive. Import it into a store and serve that: ferry import ${dir} --to-store DIR, then ferry serve --storage DIR`,
    { path: dir, form: 'archive' },
  );
}

/**
 * Refuses an archive bundle before the long verification pass, from its
 * ferry.json alone. Anything this cannot read is left to verification, which
 * reports it properly.
 */
async function refuseArchiveEarly(dir: string, signal: AbortSignal | undefined): Promise<void> {
  let form: string | undefined;
  try {
    const bytes = await readBundleFileIfPresent(dir, BUNDLE_FILES.manifest, { limit: FERRY_JSON_LIMIT, what: BUNDLE_FILES.manifest, ...(signal ? { signal } : {}) });
    form = bytes === undefined ? undefined : parseJsonDocument(bytes, BUNDLE_MANIFEST_DOCUMENT, BUNDLE_FILES.manifest).form;
  } catch {
    form = undefined;
  }
  if (form === 'archive') throw archiveRefused(dir);
}

/**
 * Verifies a bundle (or plain OCI layout) and serves it read-only. Throws
 * BUNDLE_INVALID (with the verification's problems) when it fails, and
 * INVALID_ARGUMENT for an archive or incremental bundle, naming `ferry
 * import --to-store` as the way to serve it.
 */
export async function openBundleReader(dir: string, options: BundleReaderOptions = {}): Promise<RegistryReader> {
  const root = resolve(dir);
  await refuseArchiveEarly(root, options.signal);
  const { report, view } = await verifyBundleDetailed(root, { ...(options.signal ? { signal: options.signal } : {}), ...(options.onBytes ? { onBytes: options.onBytes } : {}) });
  if (!report.ok || !view) throw verificationFailed(report, 'nothing is served');
  if (view.form === 'archive') throw archiveRefused(root);
  const omitted = view.manifest?.omitted ?? [];
  if (omitted.length > 0) {
    throw new FerryError(
      'INVALID_ARGUMENT',
      `${root} is an incremental bundle that leaves out ${omitted.length} blob(s) its parent (${view.manifest?.parent ?? 'an earlier bundle'}) carried, so it cannot be served alone: import the parent and then this bundle into a store (ferry import BUNDLE --to-store DIR) and serve that`,
      { path: root, omitted: omitted.length },
    );
  }
  return new BundleReader(view, servedRepositories(view));
}

/** The first chunk of a stream read up front, so a file that cannot be opened fails the call instead of the response. */
async function primed(stream: AsyncIterable<Buffer>): Promise<Readable> {
  const iterator = stream[Symbol.asyncIterator]();
  const first = await iterator.next();
  async function* rest(): AsyncGenerator<Buffer> {
    try {
      if (first.done) return;
      yield first.value;
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
    } finally {
      await iterator.return?.();
    }
  }
  return Readable.from(rest(), { objectMode: false });
}

/**
 * The bytes of an inclusive range of a verified stream. The last chunk of
 * the range is held back until the whole blob has been read and matched its
 * digest, so a range response completes only over verified content.
 */
async function* rangeOf(stream: AsyncIterable<Buffer>, range: ByteRange): AsyncGenerator<Buffer> {
  let position = 0;
  let held: Buffer | undefined;
  for await (const chunk of stream) {
    const from = Math.max(range.start - position, 0);
    const to = Math.min(range.end + 1 - position, chunk.length);
    position += chunk.length;
    if (from >= to) continue;
    if (held) yield held;
    held = chunk.subarray(from, to);
  }
  if (held) yield held;
}

/** A verified bundle as a RegistryReader (see the module comment). */
class BundleReader implements RegistryReader {
  readonly readOnly = true;
  private readonly blobs: BlobDirectory;
  private readonly descriptors = new Map<string, Descriptor>();

  constructor(
    private readonly view: VerifiedBundle,
    private readonly served: Map<string, ServedRepository>,
  ) {
    this.blobs = new BlobDirectory(view.dir);
  }

  /** A served repository by name; NAME_INVALID for a name the spec does not allow. */
  private repository(name: string): ServedRepository | undefined {
    checkName(name);
    return this.served.get(name);
  }

  async repositories(): Promise<string[]> {
    return [...this.served.keys()].sort();
  }

  async tags(repository: string): Promise<string[] | undefined> {
    const served = this.repository(repository);
    return served ? [...served.tags.keys()].sort() : undefined;
  }

  async manifest(repository: string, reference: string): Promise<StoredManifest | undefined> {
    const served = this.repository(repository);
    if (!served) return undefined;
    // A tag never holds ':' (spec: `[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`), a digest always does.
    const digest = reference.includes(':') ? (isDigest(reference) ? reference : undefined) : served.tags.get(reference);
    if (digest === undefined || !served.manifests.has(digest)) return undefined;
    const manifest = this.view.manifests.get(digest);
    return manifest ? { digest, mediaType: manifest.mediaType, bytes: manifest.bytes } : undefined;
  }

  async blobSize(repository: string, digest: string): Promise<number | undefined> {
    const served = this.repository(repository);
    return served?.blobs.has(digest) ? this.view.sizes.get(digest) : undefined;
  }

  async openBlob(repository: string, digest: string, range?: ByteRange): Promise<Readable> {
    const size = await this.blobSize(repository, digest);
    if (size === undefined) throw new RegistryProblem('BLOB_UNKNOWN', `blob ${digest} is not in repository ${repository}`, { detail: { digest } });
    const subject = `blob ${digest} of ${repository} (${this.blobs.path(digest)})`;
    const verified = verifyingStream(this.blobs.open({ digest, size }, 0) as AsyncIterable<Buffer>, new DigestVerifier(digest, size, subject));
    const whole = range === undefined || (range.start === 0 && range.end === size - 1);
    return primed(whole ? verified : rangeOf(verified, range));
  }

  async referrers(repository: string, subject: string): Promise<Descriptor[]> {
    const served = this.repository(repository);
    if (!served) return [];
    const found: Descriptor[] = [];
    for (const digest of served.manifests) {
      if (this.view.manifests.get(digest)?.subject?.digest === subject) found.push(this.descriptorOf(digest));
    }
    return found.sort((a, b) => (a.digest < b.digest ? -1 : a.digest > b.digest ? 1 : 0));
  }

  /**
   * A referrer's descriptor as the referrers API lists it: artifactType from
   * the manifest, else its config's media type, and its annotations.
   * https://github.com/opencontainers/distribution-spec/blob/main/spec.md#listing-referrers
   */
  private descriptorOf(digest: string): Descriptor {
    const cached = this.descriptors.get(digest);
    if (cached) return cached;
    const manifest = this.view.manifests.get(digest);
    if (!manifest) throw new FerryError('INTERNAL', `${this.view.dir}: manifest ${digest} is not among the verified manifests`);
    // Verification parsed these bytes already; they are JSON objects.
    const parsed = JSON.parse(manifest.bytes.toString('utf8')) as { artifactType?: unknown; config?: { mediaType?: unknown }; annotations?: unknown };
    const artifactType = typeof parsed.artifactType === 'string' ? parsed.artifactType : typeof parsed.config?.mediaType === 'string' ? parsed.config.mediaType : undefined;
    const annotations = parsed.annotations && typeof parsed.annotations === 'object' ? (parsed.annotations as Record<string, string>) : undefined;
    const descriptor: Descriptor = {
      mediaType: manifest.mediaType,
      digest,
      size: manifest.bytes.length,
      ...(artifactType !== undefined ? { artifactType } : {}),
      ...(annotations !== undefined ? { annotations } : {}),
    };
    this.descriptors.set(digest, descriptor);
    return descriptor;
  }
}
