/**
 * The two stores `ferry ls` / `ferry cat` and the app's browser read: a
 * registry, and a bundle that has passed verification. Each answers the same
 * questions — listings, manifests, small blobs, layers — so the browsing use
 * case (browse.ts) is written once over both. A registry's manifests are
 * checked against their digests as fetched; a bundle's come from its
 * verified view. Every blob is re-hashed as it streams, from either.
 */
import type { BrowsePage, BrowseSource } from '../../src-shared/model/browse.ts';
import { FerryError } from '../../src-shared/errors.ts';
import { archiveLayerReader, ArchiveBlobs } from '../bundle/archive-blobs.ts';
import { BlobDirectory } from '../bundle/blob-directory.ts';
import type { VerifiedBundle } from '../bundle/bundle-view.ts';
import { isDigest } from '../oci/digest.ts';
import { sourceLayerReader, type LayerReader, type ScannedLayerCache } from '../oci/image-files.ts';
import { parseManifest, getManifest, headManifest, type FetchedManifest } from '../oci/registry/manifests.ts';
import { Registries } from '../oci/registry/registries.ts';
import { RepositoryBlobs } from '../oci/registry/repository-blobs.ts';
import { listRepositoriesPage, listTagsPage, type ListingPage } from '../oci/registry/tags.ts';
import { registryAccessFor, type RegistrySettings } from './access.ts';
import { VerifiedBundles, verifyWithView } from './verify.ts';
import { verificationFailed } from '../bundle/verify.ts';

/** What browsing needs of a store. */
export interface BrowseStore {
  /** How errors name the store (`127.0.0.1:5000`, `/media/usb/bundle`). */
  readonly name: string;
  repositories(page: BrowsePage, signal?: AbortSignal): Promise<ListingPage>;
  tags(repository: string, page: BrowsePage, signal?: AbortSignal): Promise<ListingPage>;
  /** The digest a tag points at now. */
  tagDigest(repository: string, tag: string, signal?: AbortSignal): Promise<string>;
  /** A manifest by tag or digest, its bytes checked. */
  manifest(repository: string, identifier: string, signal?: AbortSignal): Promise<FetchedManifest>;
  /** The layers (and configs) of a repository, read through the digest check. */
  layers(repository: string): LayerReader;
  close(): Promise<void>;
}

/**
 * What a caller that browses again and again (the app) keeps between calls:
 * verified bundles, so a bundle is not read in full again on each click, and
 * the layer headers of the last images listed, so a folder or a preview does
 * not download every layer again. `signal` cancels the one call.
 */
export interface BrowseContext {
  signal?: AbortSignal;
  bundles?: VerifiedBundles;
  layerCache?: ScannedLayerCache;
}

/** Opens the store of a source: a registry's clients, or the verified view of a bundle (verified now unless the caller keeps it). */
export async function openStore(source: BrowseSource, settings: RegistrySettings, context: BrowseContext): Promise<BrowseStore> {
  if (source.kind === 'registry') return new RegistryStore(source.registry, settings);
  const consequence = 'nothing of it is listed or read';
  if (context.bundles) return new BundleStore(await context.bundles.view(source.path, consequence, context.signal ? { signal: context.signal } : {}));
  const { report, view } = await verifyWithView(source.path, context.signal ? { signal: context.signal } : {});
  if (!view) throw verificationFailed(report, consequence);
  return new BundleStore(view);
}

/** A registry host, through one client for the whole call. */
class RegistryStore implements BrowseStore {
  private readonly registries: Registries;

  constructor(
    readonly name: string,
    settings: RegistrySettings,
  ) {
    this.registries = new Registries(registryAccessFor(settings, [name]));
  }

  async repositories(page: BrowsePage, signal?: AbortSignal): Promise<ListingPage> {
    return listRepositoriesPage(await this.registries.client(this.name), page, signal);
  }

  async tags(repository: string, page: BrowsePage, signal?: AbortSignal): Promise<ListingPage> {
    return listTagsPage(await this.registries.client(this.name), repository, page, signal);
  }

  async tagDigest(repository: string, tag: string, signal?: AbortSignal): Promise<string> {
    const client = await this.registries.client(this.name);
    const head = await headManifest(client, repository, tag, signal);
    if (head === undefined) throw new FerryError('NOT_FOUND', `${this.name}/${repository}:${tag} does not exist`, { reference: `${this.name}/${repository}:${tag}` });
    // A registry that sends no Docker-Content-Digest gets asked for the manifest, whose bytes give it.
    if (head.digest !== undefined && isDigest(head.digest)) return head.digest;
    return (await getManifest(client, repository, tag, signal ? { signal } : {})).digest;
  }

  async manifest(repository: string, identifier: string, signal?: AbortSignal): Promise<FetchedManifest> {
    return getManifest(await this.registries.client(this.name), repository, identifier, signal ? { signal } : {});
  }

  layers(repository: string): LayerReader {
    const registries = this.registries;
    const registry = this.name;
    return {
      randomAccess: true,
      async each(blobs, visit, signal) {
        await sourceLayerReader(new RepositoryBlobs(await registries.client(registry), repository)).each(blobs, visit, signal);
      },
    };
  }

  close(): Promise<void> {
    return this.registries.close();
  }
}

/** An image of a bundle as browsing names it: the repository and tag its name (or source) gives, and its root digest. */
interface BundleImage {
  repository: string;
  tag: string | undefined;
  digest: string;
}

/** Splits `host/path[:tag][@digest]` into repository and tag (a colon after the last slash starts the tag). */
function splitName(name: string): { repository: string; tag?: string } {
  const bare = name.split('@')[0] ?? name;
  const colon = bare.lastIndexOf(':');
  return colon > bare.lastIndexOf('/') ? { repository: bare.slice(0, colon), tag: bare.slice(colon + 1) } : { repository: bare };
}

/** Items after `last`, at most `n`, in code-point order; `next` when more follow. */
function pageOf(all: string[], page: BrowsePage): ListingPage {
  const sorted = [...new Set(all)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const after = page.last === undefined ? sorted : sorted.filter((name) => name > (page.last ?? ''));
  const names = page.n === undefined ? after : after.slice(0, page.n);
  const last = names.at(-1);
  return names.length < after.length && last !== undefined ? { names, next: last } : { names };
}

/**
 * A verified bundle: its images are the repositories and tags (index.json's
 * names, or for a plain layout the names derived from its folder), its
 * manifests come from the view, its blobs from the folder or the archive's
 * parts, each checked against its digest as it streams.
 */
class BundleStore implements BrowseStore {
  readonly name: string;
  private readonly images: BundleImage[];

  constructor(private readonly view: VerifiedBundle) {
    this.name = view.dir;
    this.images = view.images.map((image) => {
      const named = splitName(image.name.includes('/') ? image.name : image.source);
      return { repository: named.repository, tag: named.tag, digest: image.digest };
    });
  }

  async repositories(page: BrowsePage): Promise<ListingPage> {
    return pageOf(
      this.images.map((image) => image.repository),
      page,
    );
  }

  /** The images of a repository: by name, else by a target path ferry.json gives an image. */
  private imagesOf(repository: string): BundleImage[] {
    const named = this.images.filter((image) => image.repository === repository);
    if (named.length > 0) return named;
    return this.view.images.flatMap((image) => (image.targets ?? []).filter((target) => target.path === repository).map((target) => ({ repository, tag: target.tag, digest: image.digest })));
  }

  async tags(repository: string, page: BrowsePage): Promise<ListingPage> {
    const images = this.imagesOf(repository);
    if (images.length === 0) throw new FerryError('NOT_FOUND', `${this.name} holds no repository ${repository}`, { repository });
    return pageOf(
      images.flatMap((image) => (image.tag === undefined ? [] : [image.tag])),
      page,
    );
  }

  async tagDigest(repository: string, tag: string): Promise<string> {
    const image = this.imagesOf(repository).find((candidate) => candidate.tag === tag);
    if (!image) throw new FerryError('NOT_FOUND', `${this.name} holds no image ${repository}:${tag}`, { repository, tag });
    return image.digest;
  }

  async manifest(repository: string, identifier: string): Promise<FetchedManifest> {
    const digest = isDigest(identifier) ? identifier : await this.tagDigest(repository, identifier);
    const held = this.view.manifests.get(digest);
    if (!held) throw new FerryError('NOT_FOUND', `${this.name} holds no manifest ${digest}`, { digest });
    return parseManifest(held.bytes, held.mediaType, digest, `${this.name}: ${repository}@${digest}`);
  }

  layers(): LayerReader {
    const reader = this.view.form === 'archive' ? archiveLayerReader(new ArchiveBlobs(this.view.dir, this.view.manifest?.parts ?? [])) : sourceLayerReader(new BlobDirectory(this.view.dir));
    const { sizes, dir } = this.view;
    return {
      randomAccess: reader.randomAccess,
      each(blobs, visit, signal) {
        // An incremental bundle leaves out blobs the site already has: said plainly, before any file is opened.
        const absent = blobs.find((blob) => !sizes.has(blob.digest));
        if (absent) {
          return Promise.reject(
            new FerryError('NOT_FOUND', `${dir} does not hold blob ${absent.digest} (an incremental bundle leaves out what the site already has; read it from the registry it was imported into)`, {
              digest: absent.digest,
            }),
          );
        }
        return reader.each(blobs, visit, signal);
      },
    };
  }

  async close(): Promise<void> {
    /* nothing held open */
  }
}
