/**
 * Moves each blob to each destination repository once, however many images
 * share it: a HEAD skips blobs already there, a mount reuses one already on the
 * target registry (from the source repository of a same-registry copy, or from
 * an earlier repository of this job), and only the rest is streamed. Shared by
 * copy (registry source) and import (bundle source).
 */
import type { BlobProgress, Descriptor } from '../../src-shared/model/oci.ts';
import type { TransferEvent } from '../../src-shared/model/progress.ts';
import type { Limiter } from '../base/limiter.ts';
import { copyBlob, type BlobSource } from '../oci/blob-io.ts';
import type { RegistryClient } from '../oci/registry/client.ts';
import { RegistryError } from '../oci/registry/errors.ts';
import { RepositoryBlobs } from '../oci/registry/repository-blobs.ts';
import { mountBlob } from '../oci/registry/uploads.ts';

/** Where a blob's bytes come from. */
export interface BlobOrigin {
  /** The store holding the blob (a source repository, a layout folder); copyBlob verifies it while it streams. */
  source: BlobSource;
  /** A repository on the destination registry that already holds the blob (same-registry copy). */
  mountFrom?: string;
  /**
   * Blobs of at most this many bytes are uploaded without asking HEAD first:
   * for a small blob the upload costs the registry about what the HEAD does,
   * so where most blobs are missing (a copy whose image is not there yet)
   * the HEAD is a wasted request. Unset: always HEAD first.
   */
  uploadWithoutHeadUpTo?: number;
}

/**
 * The job journal a mover consults and feeds (the catalog's job items): a
 * blob recorded as done in an earlier, interrupted run is not asked about again.
 */
export interface TransferJournal {
  isDone(item: string): boolean;
  markDone(item: string, bytes: number): void;
}

/** How the blobs of a job got to their repositories. */
export interface MoverCounts {
  copied: number;
  skipped: number;
  mounted: number;
}

/** The mover of one job; see the module comment. */
export class BlobMover {
  readonly counts: MoverCounts = { copied: 0, skipped: 0, mounted: 0 };
  bytesCopied = 0;
  private readonly perRepository = new Map<string, Promise<void>>();
  /** Registry + digest → the first repository of this job that received the blob (undefined if that transfer failed). */
  private readonly firstHolder = new Map<string, Promise<string | undefined>>();

  constructor(
    private readonly limiter: Limiter,
    private readonly onEvent?: (event: TransferEvent) => void,
    private readonly signal?: AbortSignal,
    private readonly journal?: TransferJournal,
  ) {}

  /** The journal key of one blob in one repository. */
  static item(to: RegistryClient, repository: string, digest: string): string {
    return `${to.registry}/${repository}@${digest}`;
  }

  /** True when the journal says an earlier run already put this blob there. */
  isDone(to: RegistryClient, repository: string, digest: string): boolean {
    return this.journal?.isDone(BlobMover.item(to, repository, digest)) ?? false;
  }

  /** Records in the journal that the blob is there now. */
  markDone(to: RegistryClient, repository: string, blob: Descriptor): void {
    this.journal?.markDone(BlobMover.item(to, repository, blob.digest), blob.size);
  }

  /** Reports one blob's progress, counting the outcome. */
  report(progress: BlobProgress, outcome?: keyof MoverCounts): void {
    if (outcome) this.counts[outcome] += 1;
    this.onEvent?.({ type: 'blob', progress });
  }

  /** Makes sure `repository` on `to` holds the blob; concurrent calls for the same pair share one transfer. */
  ensure(to: RegistryClient, repository: string, blob: Descriptor, origin: BlobOrigin): Promise<void> {
    const key = BlobMover.item(to, repository, blob.digest);
    let pending = this.perRepository.get(key);
    if (!pending) {
      if (this.isDone(to, repository, blob.digest)) {
        this.report({ digest: blob.digest, state: 'skipped', complete: blob.size, total: blob.size }, 'skipped');
        pending = Promise.resolve();
      } else {
        pending = this.move(to, repository, blob, origin).then(() => this.markDone(to, repository, blob));
      }
      this.perRepository.set(key, pending);
    }
    return pending;
  }

  private async move(to: RegistryClient, repository: string, blob: Descriptor, origin: BlobOrigin): Promise<void> {
    const holderKey = `${to.registry}@${blob.digest}`;
    const earlier = this.firstHolder.get(holderKey);
    if (earlier === undefined) {
      const done = this.limiter.run(() => this.transfer(to, repository, blob, origin, origin.mountFrom));
      this.firstHolder.set(
        holderKey,
        done.then(
          () => repository,
          () => undefined,
        ),
      );
      return done;
    }
    // Wait outside the limiter so a waiting task never holds a transfer slot.
    const holder = await earlier;
    return this.limiter.run(() => this.transfer(to, repository, blob, origin, holder));
  }

  private async transfer(to: RegistryClient, repository: string, blob: Descriptor, origin: BlobOrigin, mountFrom: string | undefined): Promise<void> {
    // A blob still queued when the job is cancelled never starts, and is not reported as failed: nothing was tried.
    this.signal?.throwIfAborted();
    try {
      await this.transferOnce(to, repository, blob, origin, mountFrom);
    } catch (error) {
      this.report({ digest: blob.digest, state: 'failed', complete: 0, total: blob.size });
      throw error;
    }
  }

  /** Asks for a mount; a refusal (the destination account may not read the other repository) falls back to a plain upload. */
  private async tryMount(to: RegistryClient, repository: string, blob: Descriptor, mountFrom: string): Promise<'mounted' | { location: string } | undefined> {
    try {
      return await mountBlob(to, repository, blob.digest, mountFrom, this.signal);
    } catch (error) {
      if (error instanceof RegistryError && (error.status === 401 || error.status === 403 || error.status === 404)) return undefined;
      throw error;
    }
  }

  private async transferOnce(to: RegistryClient, repository: string, blob: Descriptor, origin: BlobOrigin, mountFrom: string | undefined): Promise<void> {
    const total = blob.size;
    // A mount answers 201 whether or not the target already had the blob, so it needs no HEAD first.
    const mounted = mountFrom !== undefined && mountFrom !== repository ? await this.tryMount(to, repository, blob, mountFrom) : undefined;
    if (mounted === 'mounted') {
      this.report({ digest: blob.digest, state: 'mounted', complete: total, total }, 'mounted');
      return;
    }
    const sink = new RepositoryBlobs(to, repository, mounted ? { location: mounted.location } : {});
    const askFirst = origin.uploadWithoutHeadUpTo === undefined || total > origin.uploadWithoutHeadUpTo;
    if (mounted === undefined && askFirst && (await sink.has(blob, this.signal))) {
      this.report({ digest: blob.digest, state: 'skipped', complete: total, total }, 'skipped');
      return;
    }
    this.report({ digest: blob.digest, state: 'started', complete: 0, total });
    const onPosition = (complete: number): void => this.report({ digest: blob.digest, state: 'active', complete, total });
    await copyBlob(blob, origin.source, sink, { onPosition, ...(this.signal ? { signal: this.signal } : {}) });
    this.bytesCopied += total;
    this.report({ digest: blob.digest, state: 'finished', complete: total, total }, 'copied');
  }
}
