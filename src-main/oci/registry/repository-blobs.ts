/**
 * A registry repository as a blob store (blob-io.ts): reads resume with
 * `Range`, writes are uploads that resume where the registry says it stopped.
 * The registry commits a blob only at the final PUT with its digest, which
 * the upload reaches only after the verified stream has ended.
 * https://github.com/opencontainers/distribution-spec/blob/main/spec.md#pulling-blobs
 * https://github.com/opencontainers/distribution-spec/blob/main/spec.md#pushing-blobs
 */
import type { BlobContent, BlobRef, BlobSink, BlobSource } from '../blob-io.ts';
import { readBlobBytes } from './blobs.ts';
import type { RegistryClient } from './client.ts';
import { blobExists, uploadBlob, type UploadOptions } from './uploads.ts';

/** How writes to the repository upload: chunked or one PUT, an upload session a refused mount opened, progress. */
export type RepositoryWriteOptions = Omit<UploadOptions, 'signal'>;

/** One repository of one registry, read from and written to through the blob interface. */
export class RepositoryBlobs implements BlobSource, BlobSink {
  constructor(
    readonly client: RegistryClient,
    readonly repository: string,
    private readonly writeOptions: RepositoryWriteOptions = {},
  ) {}

  /** Names a blob of this repository in errors. */
  describe(blob: BlobRef): string {
    return `blob ${blob.digest} in ${this.client.registry}/${this.repository}`;
  }

  /** The blob's raw bytes from `start`, reconnecting when the body breaks. */
  open(blob: BlobRef, start: number, signal?: AbortSignal): AsyncIterable<Uint8Array> {
    return readBlobBytes(this.client, this.repository, blob, { start, ...(signal ? { signal } : {}) });
  }

  /** True when the repository already has the blob (HEAD). */
  has(blob: BlobRef, signal?: AbortSignal): Promise<boolean> {
    return blobExists(this.client, this.repository, blob.digest, signal);
  }

  /** Uploads the verified content; a failed attempt continues from what the registry holds. */
  async write(content: BlobContent, signal?: AbortSignal): Promise<void> {
    await uploadBlob(this.client, this.repository, content.blob, (offset) => content.from(offset), { ...this.writeOptions, ...(signal ? { signal } : {}) });
  }
}
