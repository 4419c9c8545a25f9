/**
 * The files of one image, read out of its layers without extracting anything
 * to disk: the tree the layers make when applied in order, and one file's
 * bytes from the layer that wins for it (layer-tree.ts holds the rules).
 * Every layer is read through the digest check of its store — a registry
 * repository, a bundle folder, an archive's parts — to its last byte.
 * `ferry ls --files`, `ferry cat`, the app's browser and the resolvers that
 * read release metadata out of images (sources/image-files.ts) all use this.
 */
import type { BrowseFileEntry } from '../../src-shared/model/browse.ts';
import { FerryError } from '../../src-shared/errors.ts';
import { verifiedContent, type BlobRef, type BlobSource } from './blob-io.ts';
import { layerVerdict, mergeLayers, normaliseLayerPath, throughLink, type LayerEntry } from './layer-tree.ts';
import { scanLayer, type CaptureChooser, type FileCapture, type LayerBlob } from './layer-scan.ts';

/** Symlinks and hard links followed for one read before giving up (Linux's MAXSYMLINKS). */
const MAX_LINK_HOPS = 40;

/** Hands out layers' verified bytes: one at a time in any order (a registry, a folder), or all in one pass in the store's own order (an archive's parts). */
export interface LayerReader {
  readonly randomAccess: boolean;
  /** Calls `visit` with each wanted blob's verified bytes: in the order given when randomAccess, else in the store's order. */
  each(blobs: readonly BlobRef[], visit: (blob: BlobRef, bytes: () => AsyncIterable<Uint8Array>) => Promise<void>, signal?: AbortSignal): Promise<void>;
}

/** A blob store with random access (registry repository, layout folder) as a layer reader; every byte passes its DigestVerifier. */
export function sourceLayerReader(source: BlobSource): LayerReader {
  return {
    randomAccess: true,
    async each(blobs, visit, signal) {
      for (const blob of blobs) await visit(blob, () => verifiedContent(blob, source, signal ? { signal } : {}).from(0));
    },
  };
}

/** Where a read ended: the path whose bytes were captured (links followed) and its size. */
export interface ReadFileResult {
  path: string;
  size: number;
}

/** Layer headers of one image by layer digest: every entry of a layer, kept only once the whole layer matched its digest. */
export type ScannedLayers = Map<string, LayerEntry[]>;

/**
 * Layer headers kept across calls for the last few images browsed (least
 * recently used dropped first), so opening a folder or previewing a file of
 * an image just listed downloads no layer again for its listing. Keyed by the
 * store and the image manifest's digest, which the caller fetched (and so
 * was allowed to read) in the same call; file bytes are never kept.
 */
export class ScannedLayerCache {
  private readonly images = new Map<string, ScannedLayers>();

  constructor(private readonly maxImages = 4) {}

  /** The headers kept for one image, now its most recently used; an empty set for one not seen (or dropped). */
  of(store: string, manifestDigest: string): ScannedLayers {
    const key = `${store}\n${manifestDigest}`;
    const scanned = this.images.get(key) ?? new Map<string, LayerEntry[]>();
    this.images.delete(key);
    this.images.set(key, scanned);
    for (const oldest of this.images.keys()) {
      if (this.images.size <= this.maxImages) break;
      this.images.delete(oldest);
    }
    return scanned;
  }
}

/**
 * The layers of one image manifest, read on demand; headers of layers already
 * read are kept (in `scanned`, which a ScannedLayerCache may share between
 * calls), so following a link or a second call reads no layer twice for its listing.
 */
export class ImageLayers {
  constructor(
    private readonly layers: readonly LayerBlob[],
    private readonly reader: LayerReader,
    private readonly subject: string,
    private readonly scanned: ScannedLayers = new Map(),
  ) {}

  private describe(layer: LayerBlob): string {
    return `${this.subject}: layer ${layer.digest}`;
  }

  /**
   * Reads the layers not yet read (all of them in one pass for an archive),
   * with an optional capture per layer; `again` reads them even if read before
   * (for a file's bytes). Headers are replaced, never removed, so another call
   * sharing them never finds a layer it read missing.
   */
  private async scan(wanted: readonly LayerBlob[], choose?: (layer: LayerBlob) => CaptureChooser | undefined, signal?: AbortSignal, again = false): Promise<void> {
    const byDigest = new Map(wanted.filter((layer) => again || !this.scanned.has(layer.digest)).map((layer) => [layer.digest, layer]));
    if (byDigest.size === 0) return;
    const done = new Set<string>();
    await this.reader.each(
      [...byDigest.values()],
      async (blob, bytes) => {
        const layer = byDigest.get(blob.digest);
        if (!layer || done.has(layer.digest)) return;
        this.scanned.set(layer.digest, await scanLayer(layer, bytes, this.describe(layer), choose?.(layer), signal));
        done.add(layer.digest);
      },
      signal,
    );
    const missing = [...byDigest.values()].find((layer) => !done.has(layer.digest));
    if (missing) throw new FerryError('NOT_FOUND', `${this.describe(missing)} is not in the store`, { digest: missing.digest });
  }

  private entriesOf(layer: LayerBlob): LayerEntry[] {
    const entries = this.scanned.get(layer.digest);
    if (!entries) throw new FerryError('INTERNAL', `${this.describe(layer)} was not read`);
    return entries;
  }

  /** The merged file tree: every layer read, lowest first applied. */
  async tree(signal?: AbortSignal): Promise<BrowseFileEntry[]> {
    await this.scan(this.layers, undefined, signal);
    return mergeLayers(this.layers.map((layer) => this.entriesOf(layer)));
  }

  /**
   * Streams one file's bytes to `capture`: the layers are looked at from the
   * top, the first that decides the path wins (its entry, a whiteout, a
   * folder made opaque), and symlinks and hard links inside the image are
   * followed. A registry or folder reads layers from the top only until one
   * decides; an archive is read in one pass for the headers, then again for
   * the winning layer's bytes. Each capture call follows the digest check
   * of everything before it, and the read returns only once the whole layer
   * the bytes came from has matched its digest.
   */
  async readFile(path: string, capture: FileCapture, signal?: AbortSignal): Promise<ReadFileResult> {
    const asked = normaliseLayerPath(path);
    if (asked === undefined) throw new FerryError('INVALID_ARGUMENT', `${this.subject}: "${path}" is the image root or outside it, not a file`, { path });
    let wanted = asked;
    for (let hop = 0; hop <= MAX_LINK_HOPS; hop += 1) {
      if (!this.reader.randomAccess) await this.scan(this.layers, undefined, signal);
      const step = await this.lookup(wanted, capture, signal);
      if (step.kind === 'read') return { path: wanted, size: step.size };
      wanted = step.path;
    }
    throw new FerryError('NOT_FOUND', `${this.subject}: ${asked} has more than ${MAX_LINK_HOPS} links in a row`, { path: asked });
  }

  /** One pass from the top layer down for `wanted`: its bytes read, or the path a link leads to. */
  private async lookup(wanted: string, capture: FileCapture, signal?: AbortSignal): Promise<{ kind: 'read'; size: number } | { kind: 'follow'; path: string }> {
    for (let i = this.layers.length - 1; i >= 0; i -= 1) {
      const layer = this.layers[i];
      if (!layer) continue;
      let captured: number | undefined;
      const choose: CaptureChooser = (entry) => {
        if (entry.path !== wanted || captured !== undefined) return undefined;
        captured = 0;
        return async (chunk) => {
          captured = (captured ?? 0) + chunk.length;
          await capture(chunk);
        };
      };
      // A registry or folder layer is read here for the first time with the capture on: if it holds the file, that read was the one.
      if (!this.scanned.has(layer.digest)) await this.scan([layer], () => choose, signal);
      const verdict = layerVerdict(this.entriesOf(layer), wanted);
      if (verdict.kind === 'none') continue;
      if (verdict.kind === 'hidden') throw new FerryError('NOT_FOUND', `${this.subject} has no file ${wanted}: ${verdict.why}`, { path: wanted });
      if (verdict.kind === 'redirect') return { kind: 'follow', path: verdict.path };
      const entry = verdict.entry;
      if (entry.type === 'symlink' && entry.linkTarget !== undefined) return { kind: 'follow', path: throughLink(wanted, entry.linkTarget, wanted) };
      if (entry.type === 'hardlink' && entry.linkTarget !== undefined) {
        const target = normaliseLayerPath(entry.linkTarget);
        if (target === undefined) throw new FerryError('NOT_FOUND', `${this.subject}: ${wanted} is a hard link to "${entry.linkTarget}", outside the image`, { path: wanted });
        return { kind: 'follow', path: target };
      }
      if (entry.type === 'dir') throw new FerryError('INVALID_ARGUMENT', `${this.subject}: ${wanted} is a folder, not a file`, { path: wanted });
      if (entry.type !== 'file') throw new FerryError('INVALID_ARGUMENT', `${this.subject}: ${wanted} is not a regular file`, { path: wanted });
      if (captured === undefined) {
        // Known from an earlier read (or an archive's header pass): read that one layer again for the bytes.
        await this.scan([layer], () => choose, signal, true);
      }
      return { kind: 'read', size: captured ?? 0 };
    }
    throw new FerryError('NOT_FOUND', `${this.subject} has no file ${wanted}`, { path: wanted });
  }

  /**
   * The files `want` accepts, each from the highest layer that holds it and
   * only where no higher layer deleted or hid it: read from the top until
   * every layer is read (the resolvers' form: release metadata, catalogs).
   * Each file is held in memory up to `limit` bytes.
   */
  async readMatching(want: (path: string) => boolean, limit: number, signal?: AbortSignal): Promise<Map<string, Buffer>> {
    return this.foldMatching(want, limit, (_path, bytes) => bytes, signal);
  }

  /**
   * The files readMatching picks, each handed to `take` as soon as its last
   * byte is read and its bytes then dropped: only one file's bytes are held
   * at a time, for readers that keep far less than a file (a catalog's
   * objects). What `take` made of a file is kept only once the whole layer
   * matched its digest; a `take` that throws ends the read.
   */
  async foldMatching<T>(want: (path: string) => boolean, limit: number, take: (path: string, bytes: Buffer) => T, signal?: AbortSignal): Promise<Map<string, T>> {
    const found = new Map<string, T>();
    const above: LayerEntry[][] = [];
    for (let i = this.layers.length - 1; i >= 0; i -= 1) {
      const layer = this.layers[i];
      if (!layer) continue;
      const claimed = new Set<string>();
      const taken = new Map<string, T>();
      const pending = new Map<string, Buffer[]>();
      const choose: CaptureChooser = (entry) => {
        if (!want(entry.path) || found.has(entry.path) || claimed.has(entry.path) || above.some((entries) => layerVerdict(entries, entry.path).kind !== 'none')) return undefined;
        claimed.add(entry.path);
        if (entry.size === 0) {
          taken.set(entry.path, take(entry.path, Buffer.alloc(0)));
          return undefined;
        }
        const chunks: Buffer[] = [];
        pending.set(entry.path, chunks);
        let size = 0;
        return (chunk) => {
          size += chunk.length;
          if (size > limit) throw new FerryError('INVALID_MANIFEST', `${this.subject}: ${entry.path} is larger than ${limit} bytes`, { path: entry.path, limit });
          chunks.push(chunk);
          // The tar header's size is the entry's length exactly: the last chunk is here.
          if (size === entry.size) {
            pending.delete(entry.path);
            taken.set(entry.path, take(entry.path, Buffer.concat(chunks, size)));
          }
        };
      };
      await this.scan([layer], () => choose, signal, true);
      // A file whose length its header did not tell (an artifact layer) ends with the layer.
      for (const [path, chunks] of pending) taken.set(path, take(path, Buffer.concat(chunks)));
      // Only now, with the whole layer matched against its digest, are its files kept.
      for (const [path, value] of taken) found.set(path, value);
      above.push(this.entriesOf(layer));
    }
    return found;
  }
}
