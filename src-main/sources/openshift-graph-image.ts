/**
 * `openshift.platform.graph: true`: the update graph data image an OpenShift
 * UpdateService (OSUS) reads in a disconnected cluster, built as oc-mirror v2
 * builds it (internal/pkg/release/graph.go, const.go, imagebuilder): the
 * graph-data tarball of the update service's host
 * (`/api/upgrades_info/graph-data`), unpacked under
 * /var/lib/cincinnati-graph-data (owner 0:0, folders 0755, files 0644, times
 * as in the tarball) into one gzip layer on top of ubi9 (every platform the export
 * selects), whose Cmd copies it into the UpdateService's graph-data volume.
 * It travels as section `openshift.graph`, landing at
 * `openshift/graph-image:latest` under the import prefix.
 *
 * The image is a LocalArtifact with a base (oci/built-image.ts): the tarball
 * is downloaded and repacked into the staging folder here, the base's
 * manifests and configs are read from its registry now (each checked against
 * its digest), and the export builds the new configs and manifests and reads
 * the base layers from the base's repository by digest, verified as they are
 * copied; oci/built-image.ts says why they are not downloaded into staging.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import tarStream from 'tar-stream';
import { FerryError } from '../../src-shared/errors.ts';
import { IMAGE_CONFIG_LIMIT, OCI_GZIP_LAYER, RUNNABLE_CONFIGS } from '../oci/built-image.ts';
import { manifestsInPushOrder, resolveImageGraph } from '../oci/image-graph.ts';
import { EMPTY_CONFIG, type LocalArtifact } from '../oci/local-artifact.ts';
import { GRAPH_SECTION } from '../oci/openshift-artifacts.ts';
import { formatReference, parseReference, withDigest } from '../oci/reference.ts';
import { readBlobToBuffer } from '../oci/registry/blobs.ts';
import { redactUrl } from '../oci/registry/errors.ts';
import { closeHttpConnections, downloadToFile } from './http-download.ts';
import { DEFAULT_UPDATE_SERVICE } from './openshift-graph.ts';
import type { ResolveContext, ResolvedSection } from './types.ts';

/** oc-mirror's base of the graph image (graphBaseImage); oc-mirror v2 has no setting to change it, so an image set has none either. */
export const GRAPH_BASE_IMAGE = 'registry.access.redhat.com/ubi9/ubi:latest';
/** Where the graph-data tarball lives on the update service's host (oc-mirror's graphURL is this path on api.openshift.com). */
export const GRAPH_DATA_PATH = '/api/upgrades_info/graph-data';
/** Where the graph data sits in the image (oc-mirror's buildGraphDataDir). */
export const GRAPH_DATA_DIR = '/var/lib/cincinnati-graph-data';
/** The UpdateService's graph-data volume the image's Cmd copies into (oc-mirror's graphDataMountPath). */
export const GRAPH_DATA_MOUNT = '/var/lib/cincinnati/graph-data';
/** The image's Cmd, oc-mirror's word for word. */
export const GRAPH_IMAGE_CMD: readonly string[] = ['/bin/bash', '-c', `exec cp -rp ${GRAPH_DATA_DIR}/* ${GRAPH_DATA_MOUNT}`];
/** Where the image lands under the import prefix (oc-mirror's graphImageName, tag latest). */
export const GRAPH_IMAGE_TARGET = { path: 'openshift/graph-image', tag: 'latest' } as const;
/** Marks the bundle entry as built on the connected side (ferry.json only; the image's manifests carry no artifactType). */
export const GRAPH_IMAGE_ARTIFACT_TYPE = 'application/vnd.ferry.openshift.graph-image.v1';
/** Largest graph-data tarball downloaded (today's is a few MB). */
export const GRAPH_DATA_LIMIT = 256 * 1024 ** 2;
/** Most bytes the tarball may unpack to. */
export const GRAPH_DATA_UNPACKED_LIMIT = 2 * 1024 ** 3;

const SUBJECT = 'openshift.platform.graph';

/** The graph-data tarball's URL: the path above on the update service's host. */
export function graphDataUrl(updateService: string): URL {
  let url: URL;
  try {
    url = new URL(GRAPH_DATA_PATH, updateService);
  } catch {
    throw new FerryError('INVALID_ARGUMENT', `${SUBJECT}: the update service "${redactUrl(updateService)}" is not a URL`, { updateService: redactUrl(updateService) });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new FerryError('INVALID_ARGUMENT', `${SUBJECT}: the update service ${redactUrl(updateService)} is not http(s)`, { updateService: redactUrl(updateService) });
  }
  return url;
}

/** A tarball entry's path below the graph data folder, or an error naming it when it would leave the folder. */
function layerPath(name: string, source: string): string {
  const parts = name.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.includes('..')) throw new FerryError('INVALID_CONTENT', `${source}: entry "${name}" leads out of the graph data folder`, { entry: name });
  return [GRAPH_DATA_DIR.slice(1), ...parts].join('/');
}

/** The modes every entry gets, whatever the tarball says: no setuid, setgid, sticky or group/world-writable bit reaches the UpdateService pod, whose `cp -rp` keeps them. */
const MODES = { directory: 0o755, file: 0o644, symlink: 0o777 } as const;

/**
 * Takes a symlink only when its target is relative and never climbs (no
 * `..`): such a link resolves at or below its own folder, even through other
 * such links, so the copied data cannot point the UpdateService anywhere
 * outside it. A lexical check of `..` would not do: it is fooled by a link
 * that itself points up. oc-mirror's tarball has no symlink at all.
 */
function checkSymlink(name: string, target: string | null | undefined, source: string): string {
  if (!target || target.startsWith('/') || target.split('/').includes('..')) {
    throw new FerryError(
      'INVALID_CONTENT',
      `${source}: symlink "${name}" points to ${JSON.stringify(target ?? '')}, outside the graph data folder or liable to lead out of it (a symlink must name a path below its own folder, without ..)`,
      { entry: name, target: target ?? '' },
    );
  }
  return target;
}

/**
 * Repacks the graph-data tarball into a gzip layer: every entry under
 * var/lib/cincinnati-graph-data/, owned by 0:0 (oc-mirror's uid and gid),
 * time kept, modes made plain (MODES). Files, folders and symlinks that stay
 * below their folder only (checkSymlink). oc-mirror's tarball (its testdata
 * graph-assets) holds no symlink, and oc-mirror copies the tarball's modes;
 * Ferry is stricter on both, since the image's `cp -rp` carries them into the
 * UpdateService pod. Returns the count of files.
 */
async function repackGraphData(archive: string, into: string, source: string): Promise<number> {
  const input = createReadStream(archive);
  const gunzip = createGunzip();
  const extract = tarStream.extract();
  input.on('error', (error) => gunzip.destroy(error));
  gunzip.on('error', (error) => extract.destroy(error));
  input.pipe(gunzip).pipe(extract);
  const pack = tarStream.pack();
  const written = pipeline(pack, createGzip(), createWriteStream(into, { flags: 'wx' }));
  let files = 0;
  let unpacked = 0;
  try {
    for await (const entry of extract) {
      const { header } = entry;
      if (header.type !== 'file' && header.type !== 'directory' && header.type !== 'symlink') {
        throw new FerryError('INVALID_CONTENT', `${source}: entry "${header.name}" is a ${header.type}; the graph data holds only files, folders and symlinks`, { entry: header.name });
      }
      const name = layerPath(header.name, source);
      const size = header.type === 'file' ? header.size : 0;
      unpacked += size;
      if (unpacked > GRAPH_DATA_UNPACKED_LIMIT) throw new FerryError('INVALID_CONTENT', `${source} unpacks to more than ${GRAPH_DATA_UNPACKED_LIMIT} bytes`, { limit: GRAPH_DATA_UNPACKED_LIMIT });
      const common = { mode: MODES[header.type], mtime: header.mtime, uid: 0, gid: 0, uname: '', gname: '' };
      if (header.type === 'directory') {
        pack.entry({ ...common, name: `${name}/`, type: 'directory' });
        entry.resume();
      } else if (header.type === 'symlink') {
        pack.entry({ ...common, name, type: 'symlink', linkname: checkSymlink(header.name, header.linkname, source) });
        entry.resume();
      } else {
        files += 1;
        const out = pack.entry({ ...common, name, type: 'file', size });
        for await (const chunk of entry as AsyncIterable<Buffer>) {
          if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
        }
        await new Promise<void>((resolve, reject) => {
          out.once('error', reject);
          out.end(() => resolve());
        });
      }
    }
    pack.finalize();
    await written;
  } catch (error) {
    pack.destroy();
    await written.catch(() => undefined);
    if (error instanceof FerryError) throw error;
    throw new FerryError('INVALID_CONTENT', `${source} is not a readable graph-data archive (gzip + tar): ${error instanceof Error ? error.message : String(error)}`, { source }, { cause: error });
  } finally {
    input.destroy();
  }
  if (files === 0) throw new FerryError('INVALID_CONTENT', `${source} holds no file: not the update graph data`, { source });
  return files;
}

/** Options of {@link resolveGraphImage}: the base image, for tests only, since oc-mirror offers no setting for it. */
export interface GraphImageOptions {
  baseImage?: string;
}

/**
 * The update graph data image of `openshift.platform.graph: true`: the
 * tarball downloaded and repacked into staging, the base image's manifests
 * and configs read, one LocalArtifact with a base built into the image by the
 * export (see the module comment).
 */
export async function resolveGraphImage(context: ResolveContext, options: GraphImageOptions = {}): Promise<ResolvedSection> {
  const { signal } = context;
  if (context.staging === undefined) throw new FerryError('INTERNAL', 'no staging folder was given to the image set resolvers');
  const url = graphDataUrl(context.updateService ?? DEFAULT_UPDATE_SERVICE);
  const shown = redactUrl(url.href);
  const folder = await mkdtemp(join(context.staging, 'graph-'));
  const archive = join(folder, 'graph-data.tar.gz');
  const layer = join(folder, 'graph-data-layer.tar.gz');
  try {
    await downloadToFile(context.registries, url, archive, { subject: SUBJECT, limit: GRAPH_DATA_LIMIT, signal });
  } finally {
    await closeHttpConnections(context.registries);
  }
  const files = await repackGraphData(archive, layer, `${SUBJECT}: ${shown}`);

  const base = parseReference(options.baseImage ?? GRAPH_BASE_IMAGE);
  const client = await context.registries.client(base.registry);
  const graph = await resolveImageGraph(client, base, context.platforms, signal);
  const configs = new Map<string, Buffer>();
  for (const node of manifestsInPushOrder(graph.root)) {
    const [config] = node.blobs;
    if (!config || !RUNNABLE_CONFIGS.includes(config.mediaType) || configs.has(config.digest)) continue;
    if (config.size > IMAGE_CONFIG_LIMIT)
      throw new FerryError('INVALID_MANIFEST', `${formatReference(base)}: config ${config.digest} is ${config.size} bytes, more than ${IMAGE_CONFIG_LIMIT}`, { digest: config.digest });
    configs.set(config.digest, await readBlobToBuffer(client, base.repository, config, signal));
  }
  // Pinned to the digest the base resolved to (the registry's, even when platform filtering rewrote the index).
  const pinned = withDigest(base, graph.root.sourceDigest ?? graph.root.digest);
  const artifact: LocalArtifact = {
    source: `${shown} on ${formatReference(pinned)}`,
    target: { ...GRAPH_IMAGE_TARGET },
    section: GRAPH_SECTION,
    artifactType: GRAPH_IMAGE_ARTIFACT_TYPE,
    config: EMPTY_CONFIG,
    layers: [{ mediaType: OCI_GZIP_LAYER, file: layer, title: 'cincinnati-graph-data.tar.gz' }],
    base: { reference: pinned, root: graph.root, configs, cmd: [...GRAPH_IMAGE_CMD], createdBy: `ferry: update graph data from ${shown} at ${GRAPH_DATA_DIR}` },
  };
  const platforms = graph.platforms.length > 0 ? ` (${graph.platforms.length} platform(s))` : '';
  return {
    images: [],
    notes: [
      `${SUBJECT}: the update graph data (${files} files from ${shown}) on ${formatReference(pinned)}${platforms}, carried as ${GRAPH_IMAGE_TARGET.path}:${GRAPH_IMAGE_TARGET.tag} for an UpdateService`,
    ],
    artifacts: [artifact],
  };
}
