/**
 * The plan of an import: where each image of a bundle lands in the site's
 * registry, which repository needs which blob, and in what order manifests
 * are pushed. Two sources landing on one repository are refused here, before
 * any write.
 */
import type { Descriptor, Reference } from '../../src-shared/model/oci.ts';
import { FerryError, type ErrorHint } from '../../src-shared/errors.ts';
import { formatPlatform } from '../oci/platform.ts';
import { parseReference, repositoryName } from '../oci/reference.ts';
import { parseManifest } from '../oci/registry/manifests.ts';
import type { OpenedBundle } from '../bundle/bundle-reader.ts';
import type { RepositoryMapping } from '../mirror-config/mapping.ts';

/** Where images go: `--to REGISTRY[/PREFIX]` and `--keep-registry-host`. */
export interface ImportTarget {
  registry: string;
  prefix: string;
  keepRegistryHost: boolean;
}

/** One image of the import. */
export interface ImportImage {
  name: string;
  source: Reference;
  destination: Reference;
  digest: string;
  mediaType: string;
  /** Every manifest of the graph, children before the indexes that list them, the root last. */
  manifests: Array<{ digest: string; mediaType: string; bytes: Buffer }>;
  /** Configs and layers, unique. */
  blobs: Descriptor[];
}

/** The whole import. */
export interface ImportPlan {
  images: ImportImage[];
  /** Source repository → target repository, for the mirror configuration. */
  mappings: RepositoryMapping[];
  /** Blob digest → every target repository that needs it. */
  blobRepositories: Map<string, string[]>;
  /** Bytes of the unique blobs. */
  bytes: number;
}

/**
 * The repository an image lands in: `SRC_HOST/path/name` → `PREFIX/path/name`
 * (source host dropped, as oc-mirror does), or with `keepRegistryHost`
 * `PREFIX/SRC_HOST/path/name`. A port cannot appear in a repository path, so
 * `host:5000` becomes `host_5000` there.
 */
export function targetRepository(source: Reference, target: ImportTarget): string {
  const host = source.registry.toLowerCase().replace(/[[\]]/g, '').replace(/:/g, '_');
  const path = target.keepRegistryHost ? `${host}/${source.repository}` : source.repository;
  return target.prefix === '' ? path : `${target.prefix}/${path}`;
}

/** Parses a manifest kept in a bundle: one that cannot be read makes the bundle invalid, it is no registry's answer. */
function parseBundledManifest(bytes: Buffer, mediaType: string, digest: string, dir: string): ReturnType<typeof parseManifest> {
  try {
    return parseManifest(bytes, mediaType, digest, `manifest ${digest}`);
  } catch (error) {
    if (error instanceof FerryError && error.code === 'INVALID_MANIFEST') throw new FerryError('BUNDLE_INVALID', `${dir}: ${error.message}`, { ...error.details, path: dir }, { cause: error });
    throw error;
  }
}

/**
 * The manifests of one image's graph in push order, its blobs, and the
 * platforms its indexes list (exported for the app's inspector, which needs
 * them for plain OCI layouts that carry no ferry.json).
 */
export function graphOf(opened: OpenedBundle, root: string, rootMediaType: string): Pick<ImportImage, 'manifests' | 'blobs'> & { platforms: string[] } {
  const manifests: ImportImage['manifests'] = [];
  const blobs = new Map<string, Descriptor>();
  const platforms: string[] = [];
  const visit = (digest: string, mediaType: string): void => {
    const found = opened.manifests.get(digest);
    if (!found) throw new FerryError('BUNDLE_INVALID', `${opened.dir}: manifest ${digest} is missing`, { digest, path: opened.dir });
    const parsed = parseBundledManifest(found.bytes, mediaType, digest, opened.dir);
    if (parsed.kind === 'index') {
      for (const child of parsed.index.manifests) {
        if (child.platform) platforms.push(formatPlatform(child.platform));
        visit(child.digest, child.mediaType);
      }
    } else for (const blob of [parsed.manifest.config, ...parsed.manifest.layers]) blobs.set(blob.digest, blob);
    if (!manifests.some((m) => m.digest === digest)) manifests.push({ digest, mediaType: found.mediaType, bytes: found.bytes });
  };
  visit(root, rootMediaType);
  return { manifests, blobs: [...blobs.values()], platforms: [...new Set(platforms)] };
}

/** Plans the import of an opened bundle; refuses a mapping where two source repositories share a target. */
export function planImport(opened: OpenedBundle, target: ImportTarget): ImportPlan {
  const images: ImportImage[] = [];
  const bySource = new Map<string, string>();
  const byTarget = new Map<string, string>();
  const conflicts: string[] = [];
  const blobRepositories = new Map<string, string[]>();
  const sizes = new Map<string, number>();
  for (const image of opened.images) {
    let source: Reference;
    try {
      source = parseReference(image.source);
    } catch (error) {
      throw new FerryError('BUNDLE_INVALID', `${opened.dir}: image "${image.name}" has a source reference Ferry cannot read: ${error instanceof Error ? error.message : String(error)}`, {
        image: image.name,
        path: opened.dir,
      });
    }
    const sourceRepository = repositoryName(source);
    const graph = graphOf(opened, image.digest, image.mediaType);
    // An image set may place an image somewhere else than its source path, under one or more tags.
    const placements = image.targets?.length
      ? image.targets.map((t) => ({ repository: target.prefix === '' ? t.path : `${target.prefix}/${t.path}`, tag: t.tag }))
      : [{ repository: targetRepository(source, target), tag: source.tag }];
    for (const placement of placements) {
      const { repository } = placement;
      const earlier = byTarget.get(repository);
      if (earlier !== undefined && earlier !== sourceRepository) conflicts.push(`${earlier} and ${sourceRepository} would both land in ${target.registry}/${repository}`);
      byTarget.set(repository, sourceRepository);
      bySource.set(sourceRepository, repository);
      const destination: Reference = { registry: target.registry, repository, digest: image.digest };
      if (placement.tag !== undefined) destination.tag = placement.tag;
      for (const blob of graph.blobs) {
        const needing = blobRepositories.get(blob.digest) ?? [];
        if (!needing.includes(repository)) needing.push(repository);
        blobRepositories.set(blob.digest, needing);
        sizes.set(blob.digest, blob.size);
      }
      images.push({ name: image.name, source, destination, digest: image.digest, mediaType: image.mediaType, ...graph });
    }
  }
  if (conflicts.length > 0) {
    throw new FerryError('INVALID_ARGUMENT', `the repository mapping has conflicts:\n  ${conflicts.join('\n  ')}\n(keeping each source's registry host in the target paths separates them)`, {
      conflicts,
      hint: { kind: 'keep-source-host', registry: target.registry } satisfies ErrorHint,
    });
  }
  const mappings = [...bySource.entries()].map(([source, repository]) => ({ source, mirror: `${target.registry}/${repository}` }));
  return { images, mappings, blobRepositories, bytes: [...sizes.values()].reduce((a, b) => a + b, 0) };
}
