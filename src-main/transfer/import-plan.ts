/**
 * The plan of an import, made from the verified view of the bundle (never
 * from the media): where each image lands in the site's registry, which
 * repository needs which blob, and in what order manifests are pushed. Two
 * sources landing on one repository are refused here, before any write.
 */
import type { Descriptor, Reference } from '../../src-shared/model/oci.ts';
import { FerryError, type ErrorHint } from '../../src-shared/errors.ts';
import { MAX_INDEX_NESTING } from '../oci/media-types.ts';
import { formatPlatform } from '../oci/platform.ts';
import { formatReference, parseReference, repositoryName } from '../oci/reference.ts';
import { referrerTagFor } from '../oci/referrer-kind.ts';
import type { VerifiedBundle, VerifiedManifest } from '../bundle/bundle-view.ts';
import type { RepositoryMapping } from '../mirror-config/mapping.ts';
import { checkPrefixRoom, nestPath } from './nested-paths.ts';

/** Where images go: `--to REGISTRY[/PREFIX]` and `--keep-registry-host`. */
export interface ImportTarget {
  registry: string;
  prefix: string;
  keepRegistryHost: boolean;
  /** `--max-nested-paths N`: fold every repository path (prefix included) into at most N components (nested-paths.ts). */
  maxNestedPaths?: number;
}

/** A target repository path with the target's nesting limit applied, when it has one. */
function nested(path: string, target: ImportTarget): string {
  if (target.maxNestedPaths === undefined) return path;
  checkPrefixRoom(target.prefix, target.maxNestedPaths);
  return nestPath(path, target.maxNestedPaths);
}

/** One image of the import. */
export interface ImportImage {
  name: string;
  /** The source reference, or for a local artifact what it was made from (`file:debs`). */
  source: string;
  destination: Reference;
  digest: string;
  mediaType: string;
  /** Every manifest of the graph, children before the indexes that list them, the root last. */
  manifests: Array<{ digest: string; mediaType: string; bytes: Buffer }>;
  /** Configs and layers, unique. */
  blobs: Descriptor[];
  /** Set for a signature, attestation or SBOM: the image it belongs to (it lands where that image lands). */
  referrer?: { subject: string; kind: string };
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
 * `host:5000` becomes `host_5000` there. With `maxNestedPaths` the whole
 * path is folded by nestPath.
 */
export function targetRepository(source: Reference, target: ImportTarget): string {
  const host = source.registry.toLowerCase().replace(/[[\]]/g, '').replace(/:/g, '_');
  const path = target.keepRegistryHost ? `${host}/${source.repository}` : source.repository;
  return nested(target.prefix === '' ? path : `${target.prefix}/${path}`, target);
}

/**
 * The repository an image set's placement lands in: `PREFIX/path`, or the
 * prefix itself for an empty path (a Deckhouse edition root), folded by
 * nestPath under `maxNestedPaths`. An empty path
 * with no prefix has nowhere to land, so the import is refused before any write.
 */
export function placedRepository(path: string, target: ImportTarget, image: string): string {
  if (path === '') {
    if (target.prefix === '') {
      throw new FerryError(
        'INVALID_ARGUMENT',
        `image ${image} belongs at the registry path a cluster is configured with (a Deckhouse edition root), so the import target needs a path after the registry: REGISTRY/PATH, such as ${target.registry}/deckhouse`,
        { image, registry: target.registry },
      );
    }
    return nested(target.prefix, target);
  }
  return nested(target.prefix === '' ? path : `${target.prefix}/${path}`, target);
}

/**
 * The manifests of one image's graph in push order (children before the
 * indexes that list them, the root last), its blobs, and the platforms its
 * indexes list, all from the verified view. Walked without recursion, each
 * manifest once, and refusing indexes nested deeper than MAX_INDEX_NESTING
 * (verification refuses them already; the plan does not rely on it).
 */
export function graphOf(view: VerifiedBundle, root: string, image: string = root): Pick<ImportImage, 'manifests' | 'blobs'> & { platforms: string[] } {
  const blobs = new Map<string, Descriptor>();
  const platforms = new Set<string>();
  const manifestOf = (digest: string): VerifiedManifest => {
    const found = view.manifests.get(digest);
    if (!found) throw new FerryError('BUNDLE_INVALID', `${view.dir}: image ${image}: manifest ${digest} is not among the verified manifests`, { digest, image, path: view.dir });
    return found;
  };
  // Breadth first: each manifest at its least depth, so the nesting limit does not depend on the order of the children.
  const depths = new Map<string, number>([[root, 0]]);
  const queue = [root];
  for (let next = 0; next < queue.length; next += 1) {
    const digest = queue[next] as string;
    const depth = depths.get(digest) ?? 0;
    const manifest = manifestOf(digest);
    if (manifest.kind === 'index' && depth > MAX_INDEX_NESTING) {
      throw new FerryError('BUNDLE_INVALID', `${view.dir}: image ${image}: index ${digest} is nested more than ${MAX_INDEX_NESTING} levels below its index.json entry (at depth ${depth})`, {
        digest,
        image,
        path: view.dir,
      });
    }
    for (const { role, descriptor } of manifest.children) {
      if (role !== 'manifest') {
        blobs.set(descriptor.digest, descriptor);
        continue;
      }
      if (descriptor.platform) platforms.add(formatPlatform(descriptor.platform));
      if (depths.has(descriptor.digest)) continue;
      depths.set(descriptor.digest, depth + 1);
      queue.push(descriptor.digest);
    }
  }
  // Depth first, children in their listed order, each manifest after everything below it.
  const manifests: ImportImage['manifests'] = [];
  const placed = new Set<string>();
  const entered = new Set<string>();
  const stack: Array<{ digest: string; after: boolean }> = [{ digest: root, after: false }];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const manifest = manifestOf(top.digest);
    if (top.after) {
      if (!placed.has(top.digest)) manifests.push({ digest: top.digest, mediaType: manifest.mediaType, bytes: manifest.bytes });
      placed.add(top.digest);
      continue;
    }
    if (entered.has(top.digest)) continue;
    entered.add(top.digest);
    stack.push({ digest: top.digest, after: true });
    const children = manifest.children.filter((child) => child.role === 'manifest').map((child) => child.descriptor.digest);
    for (const child of children.reverse()) if (!entered.has(child)) stack.push({ digest: child, after: false });
  }
  return { manifests, blobs: [...blobs.values()], platforms: [...platforms] };
}

/** An image's source reference, parsed; a bundle whose ferry.json holds one Ferry cannot read is broken. */
function sourceReference(view: VerifiedBundle, name: string, text: string): Reference {
  try {
    return parseReference(text);
  } catch (error) {
    throw new FerryError('BUNDLE_INVALID', `${view.dir}: image "${name}" has a source reference Ferry cannot read: ${error instanceof Error ? error.message : String(error)}`, {
      image: name,
      path: view.dir,
    });
  }
}

/** One image (or local artifact) to place under an import target: its source reference, none for a local artifact, and the image set's targets, if any. */
export interface Placeable {
  name: string;
  source?: Reference;
  /** What a local artifact was made from (`file:debs`, a chart's URL), for messages. */
  from?: string;
  targets?: ReadonlyArray<{ path: string; tag?: string }>;
}

/** Where a placeable lands: a repository under the target, and its tag (none: by digest only). */
export interface Landing {
  repository: string;
  tag?: string;
}

/**
 * A Deckhouse edition (an image set placing something at the edition root, the
 * prefix itself) is pulled by clusters at fixed paths below that root
 * (`install`, `modules/NAME`, mirror-config/deckhouse.ts): folding them with
 * `--max-nested-paths` would leave a mirror Deckhouse cannot use, so it is
 * refused, naming the first folded path.
 */
function refuseFoldedEditionRoot(items: readonly Placeable[], landings: readonly Landing[][], target: ImportTarget): void {
  if (target.maxNestedPaths === undefined || !items.some((item) => item.targets?.some((t) => t.path === ''))) return;
  const unfolded = { ...target, maxNestedPaths: undefined };
  items.forEach((item, i) => {
    (item.targets ?? []).forEach((t, k) => {
      const plain = placedRepository(t.path, unfolded, item.name);
      const landed = landings[i]?.[k]?.repository;
      if (landed !== undefined && landed !== plain) {
        throw new FerryError(
          'INVALID_ARGUMENT',
          `this bundle holds a Deckhouse edition, which clusters pull at fixed paths below ${target.registry}/${target.prefix} (such as ${target.registry}/${plain}): its paths cannot be kept at most ${target.maxNestedPaths} levels deep; import it into a registry that takes deeper paths`,
          { argument: 'maxNestedPaths', repository: plain },
        );
      }
    });
  });
}

/**
 * Where every image lands under an import target (an image set's targets,
 * else the source path and tag), and the source → mirror repository mappings
 * for the mirror configuration. Shared by import's plan and `ferry copy --set`,
 * so a set lands at the same places both ways. Two sources landing in one
 * repository are refused, all of them listed.
 */
export function landImages(items: readonly Placeable[], target: ImportTarget): { landings: Landing[][]; mappings: RepositoryMapping[] } {
  const bySource = new Map<string, string>();
  const byTarget = new Map<string, string>();
  const conflicts: string[] = [];
  const landings = items.map(({ name, source, from, targets }) => {
    const sourceRepository = source ? repositoryName(source) : undefined;
    // An image set may place an image somewhere else than its source path, under one or more tags.
    const placements: Landing[] = targets?.length
      ? targets.map((t) => ({ repository: placedRepository(t.path, target, name), ...(t.tag !== undefined ? { tag: t.tag } : {}) }))
      : source
        ? [{ repository: targetRepository(source, target), ...(source.tag !== undefined ? { tag: source.tag } : {}) }]
        : [];
    for (const { repository } of placements) {
      // A local artifact is keyed by where it lands: two versions of one chart (or two files: entries with one path) share a repository
      // by design, and building the bundle already refused one path:tag twice. It still conflicts with an image from a registry.
      const key = sourceRepository ?? `local artifacts of ${repository}`;
      const earlier = byTarget.get(repository);
      if (earlier !== undefined && earlier !== key) conflicts.push(`${earlier} and ${sourceRepository ?? from ?? name} would both land in ${target.registry}/${repository}`);
      byTarget.set(repository, key);
      if (sourceRepository !== undefined) bySource.set(sourceRepository, repository);
    }
    return placements;
  });
  refuseFoldedEditionRoot(items, landings, target);
  if (conflicts.length > 0) {
    throw new FerryError('INVALID_ARGUMENT', `the repository mapping has conflicts:\n  ${conflicts.join('\n  ')}\n(keeping each source's registry host in the target paths separates them)`, {
      conflicts,
      hint: { kind: 'keep-source-host', registry: target.registry } satisfies ErrorHint,
    });
  }
  const mappings = [...bySource.entries()].map(([source, repository]) => ({ source, mirror: `${target.registry}/${repository}` }));
  return { landings, mappings };
}

/**
 * Where each referrer lands: in every repository its subject lands in (so a subject an image set
 * places elsewhere keeps its signatures beside it), under its cosign tag if it has one, else by digest.
 */
function landReferrers(view: VerifiedBundle, subjects: ReadonlyArray<{ digest: string; placements: Landing[] }>): Landing[][] {
  return view.images.map((image) => {
    if (image.referrer === undefined) return [];
    const { subject } = image.referrer;
    const repositories = [...new Set(subjects.filter((s) => s.digest === subject).flatMap((s) => s.placements.map((placement) => placement.repository)))];
    if (repositories.length === 0)
      throw new FerryError('BUNDLE_INVALID', `${view.dir}: referrer ${image.name} belongs to ${subject}, which the bundle does not carry`, { image: image.name, path: view.dir });
    const tag = sourceReference(view, image.name, image.source).tag;
    // Verification refuses any other tag already; the plan does not rely on it, as a referrer's tag could replace an image's.
    if (tag !== undefined && tag !== referrerTagFor(subject, image.referrer.kind)) {
      throw new FerryError('BUNDLE_INVALID', `${view.dir}: referrer ${image.name} is tagged "${tag}", which is no cosign tag of its subject ${subject}`, { image: image.name, path: view.dir });
    }
    return repositories.map((repository) => ({ repository, ...(tag !== undefined ? { tag } : {}) }));
  });
}

/**
 * Refuses a plan in which two images would set one repository:tag to different manifests: whichever
 * pushed last would silently win (a referrer's tag, or two images an image set placed at one path and tag).
 */
function refuseTagCollisions(images: readonly ImportImage[], target: ImportTarget): void {
  const byTag = new Map<string, ImportImage>();
  const conflicts: string[] = [];
  for (const image of images) {
    if (image.destination.tag === undefined) continue;
    const key = `${image.destination.repository}:${image.destination.tag}`;
    const earlier = byTag.get(key);
    if (earlier === undefined) byTag.set(key, image);
    else if (earlier.digest !== image.digest) conflicts.push(`${earlier.source} (${earlier.digest}) and ${image.source} (${image.digest}) would both land at ${target.registry}/${key}`);
  }
  if (conflicts.length > 0) throw new FerryError('INVALID_ARGUMENT', `two images would set one tag:\n  ${conflicts.join('\n  ')}`, { conflicts });
}

/** Plans the import of a verified bundle; refuses a mapping where two source repositories share a target, or two images share a tag. */
export function planImport(view: VerifiedBundle, target: ImportTarget): ImportPlan {
  // A local artifact (files, a package repository) has no source registry: it lands at its targets and no mirror configuration names it.
  // A referrer follows its subject and is placed after the images.
  const placeable = view.images.map((image, i) => ({ image, i })).filter(({ image }) => image.referrer === undefined);
  const sources = view.images.map((image) => (image.artifactType !== undefined || image.referrer !== undefined ? undefined : sourceReference(view, image.name, image.source)));
  const landed = landImages(
    placeable.map(({ image, i }) => ({ name: image.name, from: image.source, ...(sources[i] ? { source: sources[i] } : {}), ...(image.targets ? { targets: image.targets } : {}) })),
    target,
  );
  const landings: Landing[][] = landReferrers(
    view,
    placeable.map(({ image }, k) => ({ digest: image.digest, placements: landed.landings[k] ?? [] })),
  );
  placeable.forEach(({ i }, k) => {
    landings[i] = landed.landings[k] ?? [];
  });
  const { mappings } = landed;
  const images: ImportImage[] = [];
  const blobRepositories = new Map<string, string[]>();
  const sizes = new Map<string, number>();
  // Subjects first, referrers after: a registry with the referrers API may want the subject before what refers to it.
  const order = [...placeable.map(({ i }) => i), ...view.images.flatMap((image, i) => (image.referrer !== undefined ? [i] : []))];
  for (const i of order) {
    const image = view.images[i];
    if (!image) continue;
    const source = sources[i];
    const placements = landings[i] ?? [];
    if (placements.length === 0) throw new FerryError('BUNDLE_INVALID', `${view.dir}: local artifact "${image.name}" names no target`, { image: image.name, path: view.dir });
    const graph = graphOf(view, image.digest, image.name);
    for (const placement of placements) {
      const { repository } = placement;
      const destination: Reference = { registry: target.registry, repository, digest: image.digest };
      if (placement.tag !== undefined) destination.tag = placement.tag;
      for (const blob of graph.blobs) {
        const needing = blobRepositories.get(blob.digest) ?? [];
        if (!needing.includes(repository)) needing.push(repository);
        blobRepositories.set(blob.digest, needing);
        sizes.set(blob.digest, blob.size);
      }
      images.push({
        name: image.name,
        source: source ? formatReference(source) : image.source,
        destination,
        digest: image.digest,
        mediaType: image.mediaType,
        ...graph,
        ...(image.referrer ? { referrer: image.referrer } : {}),
      });
    }
  }
  refuseTagCollisions(images, target);
  return { images, mappings, blobRepositories, bytes: [...sizes.values()].reduce((a, b) => a + b, 0) };
}
