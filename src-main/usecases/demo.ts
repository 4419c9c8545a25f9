/**
 * The sample flow (issue 17, "Try it with nothing external"): everything a
 * new operator needs to walk export → verify → inspect → import → mirror
 * configuration on one machine, with no registry and no network. It
 * generates the sample images (sources/sample-images.ts), starts two of
 * Ferry's own registries (`ferry serve`) on 127.0.0.1 — the connected
 * side's source and the disconnected side's target — pushes the samples
 * into the source with Ferry's registry client, and names a folder that
 * stands in for the USB drive. `ferry demo` and the app's "Try Ferry with
 * sample images" both start here; the jobs themselves are the real ones.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { DemoState } from '../../src-shared/api/demo.ts';
import { FerryError } from '../../src-shared/errors.ts';
import { Registries } from '../oci/registry/registries.ts';
import { lockHolder } from '../serve/store-lock.ts';
import { buildSampleImages, pushSampleImages, type SampleImage } from '../sources/sample-images.ts';
import type { ServeHandle } from './serve.ts';

/** The folder (under Ferry's data folder, beside the catalog) the sample flow keeps its stores, drive and mirror configuration in. */
export const DEMO_FOLDER = 'demo';
/** Only this machine reaches the sample registries: plain HTTP without a login is safe there. */
const LOOPBACK = '127.0.0.1';

/** The parts of the demo folder, each emptied when a sample flow starts. */
const PARTS = { source: 'source-registry', target: 'target-registry', drive: 'usb-drive', mirror: 'mirror-config' } as const;

/** A running sample flow: what the front ends show, the images' digests, and how to stop both registries. */
export interface DemoSession {
  state: DemoState;
  images: SampleImage[];
  /** Stops both registries (their stores stay in the demo folder). */
  close(): Promise<void>;
}

/** How a sample flow starts: its folder, and a line per step for the CLI. */
export interface DemoStartOptions {
  /** The demo folder; its four parts are emptied first. */
  folder: string;
  onStep?: (line: string) => void;
  signal?: AbortSignal;
}

/**
 * Starts the sample flow: empties the demo folder's parts, builds the
 * samples, starts the source and target registries (plain HTTP on
 * 127.0.0.1, free ports) and pushes the samples into the source. A failure
 * part way stops whatever already started.
 */
export async function startDemo(options: DemoStartOptions): Promise<DemoSession> {
  const folder = resolve(options.folder);
  const path = (part: keyof typeof PARTS): string => join(folder, PARTS[part]);
  const step = options.onStep ?? (() => undefined);
  // A sample registry another Ferry still serves from this folder (the app's sample flow, another `ferry demo --keep`) is never pulled from under it.
  for (const part of ['source', 'target'] as const) {
    const holder = await lockHolder(join(path(part), 'serve.lock'));
    if (holder !== undefined)
      throw new FerryError('INVALID_ARGUMENT', `the sample registries in ${folder} are in use by another Ferry (process ${holder.pid}): stop that sample flow first, or use another folder`, {
        path: path(part),
        pid: holder.pid,
      });
  }
  // Only the demo's own parts are removed, never the folder itself (a user may have chosen one that holds other files).
  for (const part of Object.keys(PARTS) as Array<keyof typeof PARTS>) await rm(path(part), { recursive: true, force: true });
  await mkdir(path('drive'), { recursive: true });
  await mkdir(path('mirror'), { recursive: true });

  step('Making the sample images…');
  const images = await buildSampleImages();
  const { startServe } = await import('./serve.ts');
  const handles: ServeHandle[] = [];
  const closeAll = async (): Promise<void> => {
    // Every registry is closed even when one fails to; the first failure is still reported.
    const closed = await Promise.allSettled(
      handles
        .splice(0)
        .reverse()
        .map((handle) => handle.close()),
    );
    const failed = closed.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failed) throw failed.reason;
  };
  try {
    for (const part of ['source', 'target'] as const) {
      handles.push(await startServe({ storage: path(part), listen: { host: LOOPBACK, port: 0 } }));
    }
    const [source, target] = handles as [ServeHandle, ServeHandle];
    step(`Started the source registry (the connected side) at ${source.url}, storing into ${path('source')}`);
    step(`Started the target registry (the disconnected side) at ${target.url}, storing into ${path('target')}`);
    const registries = new Registries({ tls: { verify: true, caCertFiles: [], certDirs: [] }, plainHttp: true });
    try {
      await pushSampleImages(await registries.client(source.address), images, options.signal);
    } finally {
      await registries.close();
    }
    const references = images.map((image) => `${source.address}/${image.repository}:${image.tag}`);
    step(`Pushed ${images.length} sample images into the source registry:`);
    for (const [n, image] of images.entries()) step(`  ${references[n] ?? ''}  ${image.description}`);
    const state: DemoState = {
      folder,
      source: { address: source.address, url: source.url, storage: path('source') },
      target: { address: target.address, url: target.url, storage: path('target') },
      images: images.map((image, n) => ({ reference: references[n] ?? '', description: image.description, digest: image.digest, platforms: image.platforms })),
      drive: path('drive'),
      mirrorFolder: path('mirror'),
    };
    let closed: Promise<void> | undefined;
    return { state, images, close: () => (closed ??= closeAll()) };
  } catch (error) {
    await closeAll().catch(() => undefined);
    throw error;
  }
}
