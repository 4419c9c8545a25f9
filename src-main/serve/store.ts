/**
 * The store folder behind `ferry serve --storage DIR`: a durable, single-node
 * registry storage on a local disk, implementing RegistryStorage (storage.ts)
 * for the HTTP layer and for `ferry import --to-store`.
 *
 * Layout (repository names can never start a component with `_` or `.`, so
 * the `_x` folders cannot collide with a repository, and no name escapes):
 *   ferry-store.json                            marker: this is a Ferry store, layout version 1
 *   serve.lock                                  "<pid> serve" while a process has it open read-write (store-lock.ts)
 *   blobs/<alg>/<2 hex>/<hex>                   every blob and manifest, complete and verified (store-blobs.ts)
 *   uploads/<id>/info.json, data                one upload session (store-uploads.ts)
 *   repositories/<name>/_layers/<alg>/<hex>     the repository has this blob
 *   repositories/<name>/_manifests/revisions/<alg>/<hex>   it has this manifest; the file holds {"mediaType"}
 *   repositories/<name>/_manifests/tags/<tag>/link         the tag's digest
 *   repositories/<name>/_referrers/<alg>-<subject hex>/<alg>-<hex>  a referrer's descriptor (JSON)
 *
 * Every file is written temp → verify → fsync → rename → fsync folder
 * (base/durable-write.ts), and always in the order content → link → tag: a
 * kill at any moment leaves each file either absent or whole, never a half
 * blob under a final name, never a link to missing content. Deletions only
 * remove links; `ferry serve gc` (gc.ts) removes what nothing links. Every
 * removal (tag, manifest, upload session, gc) syncs the parent folder after,
 * so a deletion is as durable as a write.
 * Tags are folder names: on a case-insensitive disk (macOS, Windows) two
 * tags that differ only in case are one tag.
 */
import { open, readFile, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Readable } from 'node:stream';
import { FerryError } from '../../src-shared/errors.ts';
import type { Descriptor } from '../../src-shared/model/oci.ts';
import { fsyncDir, writeFileDurable } from '../base/durable-write.ts';
import { errnoCode, ioError } from '../base/fs-errors.ts';
import { digestWithAlgorithmOf, isDigest, sha256Digest } from '../oci/digest.ts';
import { RegistryProblem } from './problems.ts';
import { committedBlobSize, writeBlob } from './store-blobs.ts';
import { StoreBulkWriter } from './store-bulk.ts';
import { checkDigest, checkRepositoryName, ensureFolder, isTagName, listFolder, StoreLayout, windowsNameProblem } from './store-layout.ts';
import { acquireStoreLock, releaseStoreLock } from './store-lock.ts';
import { readManifestFacts, type SizedDigest } from './store-manifests.ts';
import { isFile, listReferrers, listRepositories, listTags, readRevision, revisionExists, tagsPointingAt } from './store-read.ts';
import { UploadSessions } from './store-uploads.ts';
import type { ByteRange, PutManifestResult, RegistryStorage, StoredManifest, UploadState } from './storage.ts';

/** The marker's content; a folder without it is not opened (Ferry never writes into a folder it did not make a store). */
const STORE_MARKER = { ferryStore: 1 };
/** Read size for blob streams: large reads keep the syscall count low on multi-GB layers. */
const READ_CHUNK = 1024 * 1024;

/** A store folder opened by this process: RegistryStorage plus where it is and how to let go of it. */
export interface StoreFolder extends RegistryStorage {
  /** The store folder. */
  readonly dir: string;
  /** Releases the store's lock (read-write); the store must not be used afterwards. */
  close(): Promise<void>;
  /** Batched, staged writes for `ferry import --to-store` (store-bulk.ts): one barrier per batch instead of fsyncs per file. */
  bulk(): StoreBulkWriter;
}

/**
 * Opens (and on first use creates) a store folder. Read-write opens take
 * `serve.lock`, so gc and a second server refuse while it is open. A
 * read-only open needs an existing store; it takes the lock too when it can
 * (so gc waits for a `--read-only` server as well), and goes without on a
 * folder it cannot write or while another process holds the lock (its reads
 * are safe beside a writer: every file appears whole).
 */
export async function openStore(dir: string, options: { readOnly?: boolean } = {}): Promise<StoreFolder> {
  const layout = new StoreLayout(dir);
  const readOnly = options.readOnly === true;
  await checkOrCreateMarker(layout, readOnly);
  if (readOnly) {
    const locked = await acquireStoreLock(layout.lockFile, 'serve', dir).then(
      () => true,
      () => false,
    );
    return new Store(layout, true, locked);
  }
  await acquireStoreLock(layout.lockFile, 'serve', dir);
  try {
    for (const folder of [layout.blobsRoot, layout.uploadsRoot, layout.repositoriesRoot]) await ensureFolder(folder);
  } catch (error) {
    await releaseStoreLock(layout.lockFile);
    throw error;
  }
  return new Store(layout, false, true);
}

/** Makes the marker in a new or empty folder; refuses a folder that holds something else. */
async function checkOrCreateMarker(layout: StoreLayout, readOnly: boolean): Promise<void> {
  const present = await readFile(layout.markerFile, 'utf8').then(
    () => true,
    (error: unknown) => {
      if (errnoCode(error) === 'ENOENT') return false;
      throw ioError('read', layout.markerFile, error);
    },
  );
  if (present) return;
  const entries = await listFolder(layout.root);
  const exists = await stat(layout.root).then(
    (info) => info.isDirectory(),
    () => false,
  );
  if (readOnly || entries.length > 0) {
    const why = !exists ? 'does not exist' : entries.length > 0 ? 'is not empty and is not a Ferry store (no ferry-store.json)' : 'is not a Ferry store yet (open it read-write once)';
    throw new FerryError('INVALID_ARGUMENT', `cannot use ${layout.root} as a registry store: it ${why}`, { path: layout.root });
  }
  await ensureFolder(layout.root);
  await writeFileDurable(layout.markerFile, `${JSON.stringify(STORE_MARKER)}\n`);
}

class Store implements StoreFolder {
  private readonly folders = new Set<string>();
  private readonly uploads: UploadSessions;
  private closed = false;

  constructor(
    private readonly layout: StoreLayout,
    readonly readOnly: boolean,
    private readonly locked: boolean,
  ) {
    this.uploads = new UploadSessions(layout, this.folders);
  }

  get dir(): string {
    return this.layout.root;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.locked) await releaseStoreLock(this.layout.lockFile);
  }

  bulk(): StoreBulkWriter {
    if (this.readOnly) throw new RegistryProblem('UNSUPPORTED', `the store ${this.layout.root} is open read-only`);
    if (this.closed) throw new FerryError('INTERNAL', `the store ${this.layout.root} was closed`);
    return new StoreBulkWriter(this.layout);
  }

  repositories(): Promise<string[]> {
    return listRepositories(this.layout);
  }

  async tags(repository: string): Promise<string[] | undefined> {
    checkRepositoryName(repository);
    return listTags(this.layout, repository);
  }

  async manifest(repository: string, reference: string): Promise<StoredManifest | undefined> {
    checkRepositoryName(repository);
    const digest = await this.resolve(repository, reference);
    return digest === undefined ? undefined : readRevision(this.layout, repository, digest);
  }

  async blobSize(repository: string, digest: string): Promise<number | undefined> {
    checkRepositoryName(repository);
    checkDigest(digest, `a blob of ${repository}`);
    // Distribution serves a manifest through the blob endpoints too.
    const linked = (await this.linked(this.layout.layerLink(repository, digest))) || (await revisionExists(this.layout, repository, digest));
    return linked ? committedBlobSize(this.layout, digest) : undefined;
  }

  async openBlob(repository: string, digest: string, range?: ByteRange): Promise<Readable> {
    if ((await this.blobSize(repository, digest)) === undefined) throw new RegistryProblem('BLOB_UNKNOWN', `blob ${digest} is not in ${repository}`, { detail: { digest } });
    const file = this.layout.blobFile(digest);
    const handle = await open(file, 'r').catch((error: unknown) => {
      throw ioError('read', file, error);
    });
    return handle.createReadStream({ highWaterMark: READ_CHUNK, ...(range === undefined ? {} : { start: range.start, end: range.end }) });
  }

  async referrers(repository: string, subject: string): Promise<Descriptor[]> {
    checkRepositoryName(repository);
    checkDigest(subject, `the subject of referrers in ${repository}`);
    return listReferrers(this.layout, repository, subject);
  }

  async startUpload(repository: string): Promise<UploadState> {
    this.writable(repository);
    return this.uploads.start(repository);
  }

  async uploadStatus(repository: string, id: string): Promise<UploadState | undefined> {
    checkRepositoryName(repository);
    return this.uploads.status(repository, id);
  }

  async appendUpload(repository: string, id: string, start: number, chunk: Readable): Promise<UploadState> {
    this.writable(repository);
    return this.uploads.append(repository, id, start, chunk);
  }

  async finishUpload(repository: string, id: string, digest: string, tail?: Readable): Promise<Descriptor> {
    this.writable(repository);
    checkDigest(digest, `the upload ${id} to ${repository}`);
    const size = await this.uploads.finish(repository, id, digest, tail, () => this.linkBlob(repository, digest));
    return { mediaType: 'application/octet-stream', digest, size };
  }

  async cancelUpload(repository: string, id: string): Promise<boolean> {
    this.writable(repository);
    return this.uploads.cancel(repository, id);
  }

  async mountBlob(repository: string, digest: string, from: string): Promise<boolean> {
    this.writable(repository);
    checkRepositoryName(from);
    checkDigest(digest, `a blob mounted from ${from}`);
    if (!(await this.linked(this.layout.layerLink(from, digest)))) return false;
    if ((await committedBlobSize(this.layout, digest)) === undefined) return false;
    await this.linkBlob(repository, digest);
    return true;
  }

  async putBlob(repository: string, blob: Descriptor, content: () => Readable): Promise<'stored' | 'linked'> {
    this.writable(repository);
    checkDigest(blob.digest, `a blob of ${repository}`);
    const size = await committedBlobSize(this.layout, blob.digest);
    if (size !== undefined && size !== blob.size) {
      throw new RegistryProblem('SIZE_INVALID', `blob ${blob.digest} for ${repository}: the store holds it with ${size} bytes, not ${blob.size}`, { detail: { digest: blob.digest, size } });
    }
    const outcome = size === undefined ? 'stored' : 'linked';
    if (size === undefined) await writeBlob(this.layout, blob, content(), `blob ${blob.digest} for ${repository}`, this.folders);
    await this.linkBlob(repository, blob.digest);
    return outcome;
  }

  async putManifest(repository: string, reference: string, bytes: Buffer, mediaType: string): Promise<PutManifestResult> {
    this.writable(repository);
    let digest: string;
    let tag: string | undefined;
    if (isDigest(reference)) {
      digest = digestWithAlgorithmOf(reference, bytes);
      if (digest !== reference)
        throw new RegistryProblem('DIGEST_INVALID', `manifest for ${repository}: its bytes have digest ${digest}, not ${reference}`, { detail: { expected: reference, actual: digest } });
    } else {
      this.checkReference(repository, reference);
      digest = sha256Digest(bytes);
      tag = reference;
    }
    const facts = readManifestFacts(repository, reference, bytes, mediaType);
    for (const blob of facts.blobs) {
      const size = (await this.linked(this.layout.layerLink(repository, blob.digest))) ? await committedBlobSize(this.layout, blob.digest) : undefined;
      if (size === undefined)
        throw new RegistryProblem('MANIFEST_BLOB_UNKNOWN', `manifest ${reference} of ${repository} references blob ${blob.digest}, which ${repository} does not have`, {
          detail: { digest: blob.digest },
        });
      this.checkDescriptorSize(repository, reference, 'blob', blob, size);
    }
    for (const child of facts.manifests) {
      const size = (await revisionExists(this.layout, repository, child.digest)) ? await committedBlobSize(this.layout, child.digest) : undefined;
      if (size === undefined) {
        throw new RegistryProblem('MANIFEST_BLOB_UNKNOWN', `index ${reference} of ${repository} references manifest ${child.digest}, which ${repository} does not have`, {
          detail: { digest: child.digest },
        });
      }
      this.checkDescriptorSize(repository, reference, 'manifest', child, size);
    }
    if ((await committedBlobSize(this.layout, digest)) !== bytes.byteLength) {
      await ensureFolder(this.layout.blobFolder(digest), this.folders);
      await writeFileDurable(this.layout.blobFile(digest), bytes);
    }
    await this.writeLink(this.layout.revisionLink(repository, digest), `${JSON.stringify({ mediaType })}\n`, true);
    if (facts.subject !== undefined) {
      const entry: Descriptor = { ...facts.referrer, digest, size: bytes.byteLength };
      await this.writeLink(this.layout.referrerEntry(repository, facts.subject, digest), `${JSON.stringify(entry)}\n`, false);
    }
    if (tag !== undefined) await this.writeLink(this.layout.tagLink(repository, tag), `${digest}\n`, false);
    return facts.subject === undefined ? { digest } : { digest, subject: facts.subject };
  }

  async deleteManifest(repository: string, reference: string): Promise<boolean> {
    this.writable(repository);
    if (!isDigest(reference)) {
      if (reference.includes(':')) checkDigest(reference, `a manifest of ${repository}`);
      if (!isTagName(reference)) return false;
      const link = this.layout.tagLink(repository, reference);
      if (!(await this.linked(link))) return false;
      await this.remove(dirname(link));
      return true;
    }
    const stored = await readRevision(this.layout, repository, reference);
    if (stored === undefined) return false;
    for (const tag of await tagsPointingAt(this.layout, repository, reference)) await this.remove(dirname(this.layout.tagLink(repository, tag)));
    const subject = subjectOf(stored.bytes);
    if (subject !== undefined) await this.remove(this.layout.referrerEntry(repository, subject, reference));
    await this.remove(this.layout.revisionLink(repository, reference));
    return true;
  }

  async deleteBlob(repository: string, digest: string): Promise<boolean> {
    this.writable(repository);
    checkDigest(digest, `a blob of ${repository}`);
    const link = this.layout.layerLink(repository, digest);
    if (!(await this.linked(link))) return false;
    await this.remove(link);
    return true;
  }

  /** The digest a tag or digest reference names in a repository, or undefined. */
  private async resolve(repository: string, reference: string): Promise<string | undefined> {
    if (isDigest(reference)) return reference;
    if (reference.includes(':')) checkDigest(reference, `a manifest of ${repository}`);
    // A name no tag can have is a manifest nobody pushed (Distribution's router answers 404 too).
    if (!isTagName(reference)) return undefined;
    try {
      const digest = (await readFile(this.layout.tagLink(repository, reference), 'utf8')).trim();
      return isDigest(digest) ? digest : undefined;
    } catch (error) {
      if (errnoCode(error) === 'ENOENT' || errnoCode(error) === 'ENOTDIR') return undefined;
      throw ioError('read', this.layout.tagLink(repository, reference), error);
    }
  }

  /** Refuses a reference that is neither a tag nor a digest Ferry can verify (DIGEST_INVALID for `alg:…`, MANIFEST_INVALID otherwise). */
  private checkReference(repository: string, reference: string): void {
    if (reference.includes(':')) checkDigest(reference, `a manifest of ${repository}`);
    if (!isTagName(reference)) {
      const windows = windowsNameProblem(reference);
      const why = windows === undefined ? 'expected [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}' : `a store on Windows cannot hold it: ${windows}`;
      throw new RegistryProblem('MANIFEST_INVALID', `invalid tag "${reference}" for ${repository}: ${why}`, { detail: { tag: reference } });
    }
  }

  /** Refuses a descriptor whose size is not the byte count the store holds for its digest (clients would fail later, at pull). */
  private checkDescriptorSize(repository: string, reference: string, kind: 'blob' | 'manifest', claimed: SizedDigest, held: number): void {
    if (claimed.size === held) return;
    throw new RegistryProblem('MANIFEST_INVALID', `manifest ${reference} of ${repository} says ${kind} ${claimed.digest} has ${claimed.size} bytes, but it has ${held}`, {
      detail: { digest: claimed.digest, size: claimed.size, stored: held },
    });
  }

  private writable(repository: string): void {
    if (this.readOnly) throw new RegistryProblem('UNSUPPORTED', `the store ${this.layout.root} is open read-only`);
    if (this.closed) throw new FerryError('INTERNAL', `the store ${this.layout.root} was closed`);
    checkRepositoryName(repository);
  }

  private async linkBlob(repository: string, digest: string): Promise<void> {
    const link = this.layout.layerLink(repository, digest);
    if (!(await this.linked(link))) await this.writeLink(link, `${digest}\n`, true);
  }

  /** Writes a link durably, its folder created first; `cached` folders are remembered (`_layers`, revisions: never removed while the store is open). */
  private async writeLink(path: string, content: string, cached: boolean): Promise<void> {
    await ensureFolder(dirname(path), cached ? this.folders : undefined);
    await writeFileDurable(path, content);
  }

  private linked(path: string): Promise<boolean> {
    return isFile(path);
  }

  /** Removes a file or folder and syncs its parent, so a deleted tag or manifest stays deleted after a power cut. */
  private async remove(path: string): Promise<void> {
    await rm(path, { recursive: true, force: true }).catch((error: unknown) => {
      throw ioError('remove', path, error);
    });
    await fsyncDir(dirname(path));
  }
}

/** The subject digest a stored manifest names (its bytes were checked when stored), or undefined. */
export function subjectOf(bytes: Buffer): string | undefined {
  try {
    const parsed = JSON.parse(bytes.toString('utf8')) as { subject?: { digest?: unknown } };
    const digest = parsed.subject?.digest;
    return typeof digest === 'string' && isDigest(digest) ? digest : undefined;
  } catch {
    return undefined;
  }
}
