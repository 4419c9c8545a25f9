/**
 * Writes into a store folder in batches, for `ferry import --to-store`: the
 * same files in the same order as one request at a time through
 * RegistryStorage (content → blob links → manifests, children before the
 * indexes naming them → tags), made durable per batch instead of per file.
 *
 * Every file whose bytes a reader uses goes temp → write → fsync → rename →
 * fsync its folder, as base/durable-write.ts does one file at a time; a batch
 * does each step for all of its files, then syncs every folder it touched
 * once (new folders' parents included). A batch ends with that barrier, and
 * the next batch starts only after it, so a kill at any moment leaves a
 * prefix of the sequence: content is durable before a link names it, links
 * before the manifests that need them, manifests before tags.
 *
 * Blob links (`_layers/<alg>/<hex>`) are the one exception: their name is
 * their meaning (readers and gc only ask whether the file exists; the digest
 * inside is for people), so they are written in place and only their folders
 * synced. A kill can leave one empty, which still says the truth: its blob was
 * durable before the link was written.
 *
 * Blobs are staged first (store-staging.ts): verification hands each blob
 * to `stage`, its bytes land in a temp file beside its final name, nothing
 * visible; `commit` renames those the import needs only after the whole
 * bundle passed, and `discard` removes every temp file when it did not.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Descriptor } from '../../src-shared/model/oci.ts';
import { ioError } from '../base/fs-errors.ts';
import { Limiter } from '../base/limiter.ts';
import type { BlobKeeper } from '../bundle/verify-report.ts';
import type { BlobRef } from '../oci/blob-io.ts';
import { digestWithAlgorithmOf } from '../oci/digest.ts';
import { RegistryProblem } from './problems.ts';
import { committedBlobSize } from './store-blobs.ts';
import { syncFolders, writeFilesSynced, type BatchFile } from './store-batch.ts';
import { checkRepositoryName, ensureFolder, type StoreLayout } from './store-layout.ts';
import { readManifestFacts } from './store-manifests.ts';
import { isFile, readRevision } from './store-read.ts';
import { BlobStaging } from './store-staging.ts';

/** Links written at once: each is a few small file system calls, so several in flight hide their round trips. */
const LINK_CONCURRENCY = 8;

/** One manifest to store by digest in a repository. */
export interface BulkManifest {
  repository: string;
  digest: string;
  bytes: Buffer;
  mediaType: string;
}

/** One tag to point at a manifest the repository holds. */
export interface BulkTag {
  repository: string;
  tag: string;
  digest: string;
}

/** Batched, staged writes into one store folder; see the module comment. Made by StoreFolder.bulk(). */
export class StoreBulkWriter {
  /** Folders this writer made or found (its own set: a folder made in a batch is only durable once the batch's barrier passed). */
  private readonly known = new Set<string>();
  /** Sizes of blobs known to be committed (stored or found), so manifests are checked without a stat per blob. */
  private readonly committed = new Map<string, number>();
  /** Layer links known to exist. */
  private readonly linked = new Set<string>();
  /** Parents of folders made since the last barrier, synced at the next one. */
  private toSync = new Set<string>();
  private readonly staging: BlobStaging;

  constructor(private readonly layout: StoreLayout) {
    this.staging = new BlobStaging({ layout, known: this.known, toSync: () => this.toSync, committed: this.committed });
  }

  /** The first write error of a staged blob (the store's disk, not the bundle): the import fails with it once verification ends. */
  get failure(): Error | undefined {
    return this.staging.failure;
  }

  /** A keeper that stages one blob as verification reads it (VerifyOptions.keepBlob); see store-staging.ts. */
  stage(blob: BlobRef): BlobKeeper {
    return this.staging.stage(blob);
  }

  /**
   * Makes the staged blobs named in `keep` committed blobs (their data synced,
   * renamed into place, each folder synced once) and removes the rest.
   * Returns the digests it stored; afterwards nothing is staged.
   */
  async commit(keep: ReadonlySet<string>): Promise<Set<string>> {
    const { stored, folders } = await this.staging.commit(keep);
    await this.barrier(folders);
    return stored;
  }

  /** Removes every staged temp file (the bundle failed, or the import was cancelled): nothing of it stays in the store. */
  async discard(): Promise<void> {
    await this.staging.discard();
  }

  /**
   * Links committed blobs into repositories (one link per repository and
   * digest, written in place, see the module comment), then syncs their
   * folders once. Returns how many links it wrote.
   */
  async link(links: ReadonlyArray<{ repository: string; digest: string }>): Promise<number> {
    for (const { repository } of links) checkRepositoryName(repository);
    const folders: string[] = [];
    let written = 0;
    const limiter = new Limiter(LINK_CONCURRENCY);
    await Promise.all(
      links.map(({ repository, digest }) =>
        limiter.run(async () => {
          const path = this.layout.layerLink(repository, digest);
          if (this.linked.has(path) || (await isFile(path))) {
            this.linked.add(path);
            return;
          }
          if ((await this.committedSize(digest)) === undefined) {
            throw new RegistryProblem('BLOB_UNKNOWN', `blob ${digest} cannot be linked into ${repository}: the store does not hold it`, { detail: { digest } });
          }
          await ensureFolder(dirname(path), this.known, this.toSync);
          await writeFile(path, `${digest}\n`, { mode: 0o640 }).catch((error: unknown) => {
            throw ioError('write', path, error);
          });
          this.linked.add(path);
          folders.push(dirname(path));
          written += 1;
        }),
      ),
    );
    await this.barrier(folders);
    return written;
  }

  /**
   * Stores manifests by digest, as RegistryStorage.putManifest does (the
   * store's own checks: the bytes match the digest and parse as their media
   * type, every blob is linked with the size the manifest says, every child
   * manifest is in the repository), in rounds: manifest bytes first, then
   * the revisions of those whose children are in, one barrier each, until
   * all are. Those the repository already has are skipped. Returns how many
   * it stored.
   */
  async putManifests(manifests: readonly BulkManifest[]): Promise<number> {
    const pending: Array<BulkManifest & { facts: ReturnType<typeof readManifestFacts> }> = [];
    const present = new Set<string>();
    for (const manifest of manifests) {
      const { repository, digest, bytes, mediaType } = manifest;
      checkRepositoryName(repository);
      const actual = digestWithAlgorithmOf(digest, bytes);
      if (actual !== digest) throw new RegistryProblem('DIGEST_INVALID', `manifest for ${repository}: its bytes have digest ${actual}, not ${digest}`, { detail: { expected: digest, actual } });
      if (await readRevision(this.layout, repository, digest)) present.add(`${repository}@${digest}`);
      else pending.push({ ...manifest, facts: readManifestFacts(repository, digest, bytes, mediaType) });
    }
    // Content first: every manifest's bytes as a committed blob.
    const contents = new Map<string, BatchFile>();
    for (const { digest, bytes } of pending) if ((await this.committedSize(digest)) !== bytes.byteLength) contents.set(digest, { path: this.layout.blobFile(digest), content: bytes });
    await this.writeBatch([...contents.values()]);
    for (const { digest, bytes } of pending) this.committed.set(digest, bytes.byteLength);
    let stored = 0;
    let left = pending;
    while (left.length > 0) {
      const ready = left.filter(({ repository, facts }) => facts.manifests.every((child) => present.has(`${repository}@${child.digest}`)));
      if (ready.length === 0) {
        const [{ repository, digest, facts }] = left as [(typeof left)[number]];
        const child = facts.manifests.find((c) => !present.has(`${repository}@${c.digest}`));
        throw new RegistryProblem('MANIFEST_BLOB_UNKNOWN', `index ${digest} of ${repository} references manifest ${child?.digest}, which ${repository} does not have`, {
          detail: { digest: child?.digest },
        });
      }
      const files: BatchFile[] = [];
      for (const { repository, digest, bytes, mediaType, facts } of ready) {
        await this.checkBlobs(repository, digest, facts.blobs);
        for (const child of facts.manifests) this.checkSize(repository, digest, 'manifest', child, await this.committedSize(child.digest));
        files.push({ path: this.layout.revisionLink(repository, digest), content: `${JSON.stringify({ mediaType })}\n` });
        if (facts.subject !== undefined) {
          const entry: Descriptor = { ...facts.referrer, digest, size: bytes.byteLength };
          files.push({ path: this.layout.referrerEntry(repository, facts.subject, digest), content: `${JSON.stringify(entry)}\n` });
        }
      }
      await this.writeBatch(files);
      for (const { repository, digest } of ready) present.add(`${repository}@${digest}`);
      stored += ready.length;
      left = left.filter((manifest) => !ready.includes(manifest));
    }
    return stored;
  }

  /** Points tags at manifests the repositories hold, one batch; a tag already there is left alone. Returns how many it wrote. */
  async putTags(tags: readonly BulkTag[]): Promise<number> {
    const files: BatchFile[] = [];
    for (const { repository, tag, digest } of tags) {
      const path = this.layout.tagLink(repository, tag);
      const current = await readFile(path, 'utf8').then(
        (text) => text.trim(),
        () => undefined,
      );
      if (current === digest) continue;
      if (!(await isFile(this.layout.revisionLink(repository, digest)))) {
        throw new RegistryProblem('MANIFEST_UNKNOWN', `tag ${tag} of ${repository} cannot point at ${digest}: the repository does not have it`, { detail: { digest } });
      }
      files.push({ path, content: `${digest}\n` });
    }
    await this.writeBatch(files);
    return files.length;
  }

  /** Refuses a manifest whose blobs are not linked in its repository with the sizes it says (as putManifest does). */
  private async checkBlobs(repository: string, digest: string, blobs: ReadonlyArray<{ digest: string; size: number }>): Promise<void> {
    for (const blob of blobs) {
      const path = this.layout.layerLink(repository, blob.digest);
      const linked = this.linked.has(path) || (await isFile(path));
      const size = linked ? await this.committedSize(blob.digest) : undefined;
      if (size === undefined) {
        throw new RegistryProblem('MANIFEST_BLOB_UNKNOWN', `manifest ${digest} of ${repository} references blob ${blob.digest}, which ${repository} does not have`, {
          detail: { digest: blob.digest },
        });
      }
      this.checkSize(repository, digest, 'blob', blob, size);
    }
  }

  private checkSize(repository: string, reference: string, kind: 'blob' | 'manifest', claimed: { digest: string; size: number }, held: number | undefined): void {
    if (claimed.size === held) return;
    throw new RegistryProblem('MANIFEST_INVALID', `manifest ${reference} of ${repository} says ${kind} ${claimed.digest} has ${claimed.size} bytes, but it has ${held ?? 'none'}`, {
      detail: { digest: claimed.digest, size: claimed.size, stored: held },
    });
  }

  private async committedSize(digest: string): Promise<number | undefined> {
    const known = this.committed.get(digest);
    if (known !== undefined) return known;
    const size = await committedBlobSize(this.layout, digest);
    if (size !== undefined) this.committed.set(digest, size);
    return size;
  }

  /** Writes files durably as one batch (store-batch.ts), then the barrier. */
  private async writeBatch(files: readonly BatchFile[]): Promise<void> {
    if (files.length === 0) return;
    for (const { path } of files) await ensureFolder(dirname(path), this.known, this.toSync);
    await writeFilesSynced(files);
    await this.barrier(files.map((file) => dirname(file.path)));
  }

  /** Syncs every folder touched since the last barrier, each once, a few at a time. */
  private async barrier(folders: readonly string[]): Promise<void> {
    const all = new Set([...this.toSync, ...folders]);
    this.toSync = new Set();
    await syncFolders(all);
  }
}
