/**
 * A plain OCI image layout with many small blobs (by default 200 single-platform
 * images of 50 tiny layers each: 10,200 blobs and 200 manifests), for the
 * checks that the app stays usable during a job of that size. Content is
 * seeded, never random: two calls write byte-identical layouts.
 */
import { MediaTypes, describe, imageConfig, imageManifest, makeLayer, seededBytes, writeOciLayout } from './fixture-content.ts';
import type { Content, LayoutRef, Platform } from './fixture-content.ts';

/** Sizes of the layout; the defaults give 10,200 blobs. */
export interface ManyBlobsOptions {
  /** Images, each in its own repository; default 200. */
  images?: number;
  /** Layers per image; default 50. */
  layersPerImage?: number;
  /** Incompressible payload per layer before tar and gzip; default 200 bytes (a layer is then about 400 bytes). */
  payloadBytes?: number;
  /** Registry host of the ref names, which are full references so the import maps them to `PREFIX/many/app-NNN`; default `ferry.test`. */
  host?: string;
}

/** One image of the layout as the UI shows it. */
export interface ManyBlobsImage {
  /** The `org.opencontainers.image.ref.name` annotation, a full reference (`ferry.test/many/app-007:v1`). */
  refName: string;
  manifestDigest: string;
}

/** What was written. */
export interface ManyBlobsLayout {
  dir: string;
  images: ManyBlobsImage[];
  /** Configs and layers (every one distinct). */
  blobCount: number;
  /** Bytes of every blob and manifest. */
  totalBytes: number;
}

const AMD64: Platform = { architecture: 'amd64', os: 'linux' };

/** Zero-padded image number, so ref names sort in image order. */
function imageNumber(index: number, count: number): string {
  return String(index).padStart(String(Math.max(0, count - 1)).length, '0');
}

/**
 * Writes the layout into `dir` (created if missing). Exists because the
 * responsiveness check needs a 10,000-blob job, and writing the layout
 * directly takes seconds where pushing it through a registry would take minutes.
 */
export async function writeManyBlobsLayout(dir: string, options: ManyBlobsOptions = {}): Promise<ManyBlobsLayout> {
  const imageCount = options.images ?? 200;
  const layerCount = options.layersPerImage ?? 50;
  const payloadBytes = options.payloadBytes ?? 200;
  const host = options.host ?? 'ferry.test';
  const blobs: Content[] = [];
  const refs: LayoutRef[] = [];
  const images: ManyBlobsImage[] = [];
  for (let i = 0; i < imageCount; i++) {
    const label = `app-${imageNumber(i, imageCount)}`;
    const layers = [];
    for (let j = 0; j < layerCount; j++) {
      layers.push(await makeLayer(MediaTypes.ociLayerGzip, [{ name: `data/${label}/layer-${j}.bin`, data: seededBytes(`many-blobs/${label}/${j}`, payloadBytes) }]));
    }
    const config = imageConfig(MediaTypes.ociConfig, AMD64, layers, label);
    const manifest = imageManifest(
      MediaTypes.ociManifest,
      config,
      layers.map((l) => l.content),
    );
    blobs.push(config, ...layers.map((l) => l.content), manifest);
    const refName = `${host}/many/${label}:v1`;
    refs.push({ refName, descriptor: describe(manifest) });
    images.push({ refName, manifestDigest: manifest.digest });
  }
  await writeOciLayout(dir, blobs, refs);
  return {
    dir,
    images,
    blobCount: imageCount * (layerCount + 1),
    totalBytes: blobs.reduce((sum, blob) => sum + blob.size, 0),
  };
}
