/**
 * What `ferry serve` serves from, as two interfaces so the HTTP layer
 * (registry-server.ts) does not care where bytes live: a store folder on disk
 * (store.ts, read-write, the same durable writes as a bundle: temp file,
 * verify, fsync, rename) or a verified bundle on a drive (bundle-reader.ts,
 * read-only). `ferry import --to-store` and `ferry serve gc` use the store
 * directly. Every method that refuses throws a RegistryProblem
 * (problems.ts) naming the repository and digest or reference.
 *
 * Repository names are the spec's `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/…)*`;
 * a name that is not is refused with NAME_INVALID before the disk is touched.
 */
import type { Readable } from 'node:stream';
import type { Descriptor } from '../../src-shared/model/oci.ts';

/** A manifest as stored: its exact bytes, their digest, and the media type it was pushed with. */
export interface StoredManifest {
  digest: string;
  mediaType: string;
  bytes: Buffer;
}

/** One inclusive byte range of a blob, as an HTTP Range header asks for it. */
export interface ByteRange {
  start: number;
  end: number;
}

/** The state of one blob upload session: where the next chunk must start. */
export interface UploadState {
  /** Opaque session id, safe in a URL path segment. */
  id: string;
  repository: string;
  /** Bytes received so far; the next chunk must start here. */
  offset: number;
}

/** What a manifest PUT stored: its digest, and the subject it names (for the `OCI-Subject` header). */
export interface PutManifestResult {
  digest: string;
  subject?: string;
}

/** The read side every served registry has: `_catalog`, tags, manifests, blobs and referrers. */
export interface RegistryReader {
  /** True for a bundle or `--read-only`: the server answers every write with 405 UNSUPPORTED. */
  readonly readOnly: boolean;
  /** Every repository that holds at least one manifest, sorted by code point (for `_catalog`). */
  repositories(): Promise<string[]>;
  /** The tags of a repository sorted by code point, or undefined when the repository is unknown (NAME_UNKNOWN). */
  tags(repository: string): Promise<string[] | undefined>;
  /** A manifest of this repository by tag or digest, or undefined when this repository has none by that reference. */
  manifest(repository: string, reference: string): Promise<StoredManifest | undefined>;
  /** The size of a blob linked into this repository, or undefined when the repository does not have it. */
  blobSize(repository: string, digest: string): Promise<number | undefined>;
  /**
   * The bytes of a blob this repository has, whole or one inclusive range
   * (the caller has checked the range against blobSize). Content is served
   * only from a blob that was verified against its digest when it was stored.
   */
  openBlob(repository: string, digest: string, range?: ByteRange): Promise<Readable>;
  /** Descriptors (with artifactType and annotations) of this repository's manifests whose `subject` is `subject`, for the referrers API. */
  referrers(repository: string, subject: string): Promise<Descriptor[]>;
}

/** The write side of a store folder, used by the server's upload and manifest endpoints and by `ferry import --to-store`. */
export interface RegistryStorage extends RegistryReader {
  /** Opens an upload session in a repository. */
  startUpload(repository: string): Promise<UploadState>;
  /** The session's state, or undefined when there is no such session (BLOB_UPLOAD_UNKNOWN). */
  uploadStatus(repository: string, id: string): Promise<UploadState | undefined>;
  /**
   * Appends a chunk that must start at `start` (RANGE_INVALID otherwise, with the
   * current state in the detail); the bytes are on disk (fsynced) before it resolves.
   */
  appendUpload(repository: string, id: string, start: number, chunk: Readable): Promise<UploadState>;
  /**
   * Ends a session: appends `tail` if given, checks the whole content against
   * `digest` (DIGEST_INVALID when it differs, and the session is kept), then
   * commits the blob durably and links it into the repository.
   */
  finishUpload(repository: string, id: string, digest: string, tail?: Readable): Promise<Descriptor>;
  /** Drops a session and its bytes; false when there was none. */
  cancelUpload(repository: string, id: string): Promise<boolean>;
  /** Links a blob `from` has into `repository` (cross-repository mount); false when `from` lacks it, and nothing changes. */
  mountBlob(repository: string, digest: string, from: string): Promise<boolean>;
  /**
   * Stores a blob of known descriptor straight from a stream (`ferry import
   * --to-store`): hashed as it is written, refused with DIGEST_INVALID or
   * SIZE_INVALID on a mismatch, committed durably and linked into the
   * repository. A blob the store already holds is only linked, the stream
   * is not read.
   */
  putBlob(repository: string, blob: Descriptor, content: () => Readable): Promise<'stored' | 'linked'>;
  /**
   * Stores a manifest under a tag or its digest. The bytes must be a JSON
   * manifest or index of `mediaType` (MANIFEST_INVALID), every blob and child
   * manifest it references must be in this repository (MANIFEST_BLOB_UNKNOWN,
   * naming the digest), and a digest reference must match the bytes (DIGEST_INVALID).
   */
  putManifest(repository: string, reference: string, bytes: Buffer, mediaType: string): Promise<PutManifestResult>;
  /** Deletes a manifest by digest (and every tag pointing at it) or a tag alone; false when there was none. */
  deleteManifest(repository: string, reference: string): Promise<boolean>;
  /** Unlinks a blob from a repository (the bytes stay until `ferry serve gc`); false when it was not linked. */
  deleteBlob(repository: string, digest: string): Promise<boolean>;
}
