/**
 * The blobs and manifests the conformance script pushes, built from fixed
 * seeds so both registries receive byte-identical content and every digest in
 * the two transcripts lines up.
 */
import { MediaTypes, imageIndex, imageManifest, jsonContent, seededBytes, sha256Digest, toContent } from './fixture-content.ts';
import type { Content } from './fixture-content.ts';

/** The artifact type of the referrer the script pushes, and a second one the filter must drop. */
export const CONFORMANCE_ARTIFACT_TYPE = 'application/vnd.ferry.conformance.sig.v1';

/** Everything the script pushes or refers to. */
export interface ConformanceContent {
  /** Pushed monolithically (POST then PUT); the layer of `manifest`. */
  layer: Content;
  /** Pushed in three PATCH chunks with Content-Range. */
  chunked: Content;
  /** Pushed with one PATCH without Content-Range (how skopeo and containerd push). */
  streamed: Content;
  /** Pushed with a single POST ?digest= (end-4b). */
  single: Content;
  /** Image config of `manifest`. */
  config: Content;
  /** Docker image config of `dockerManifest`. */
  dockerConfig: Content;
  /** OCI image manifest: config + layer. */
  manifest: Content;
  /** Docker schema 2 manifest: dockerConfig + layer. */
  dockerManifest: Content;
  /** OCI index over `manifest`. */
  index: Content;
  /** The empty descriptor content `{}` (image-spec manifest.md, "Guidance for an Empty Descriptor"). */
  empty: Content;
  /** Artifact manifest whose subject is `manifest`. */
  referrer: Content;
  /** Artifact manifest whose subject is a manifest the registry never receives (the spec says accept it). */
  danglingReferrer: Content;
  /** OCI manifest naming a layer that was never pushed. */
  missingBlobManifest: Content;
  /** OCI index naming a child manifest that was never pushed. */
  missingChildIndex: Content;
  /** A valid manifest larger than the 4 MiB every registry must accept (spec "Pushing Manifests"). */
  oversizedManifest: Content;
  /** A digest no registry holds. */
  absentDigest: string;
}

/** Size of the seeded blobs: several Range windows fit, still instant on loopback. */
const BLOB_BYTES = 1000;
/** Chunk size for the chunked upload (the chunked blob is three of them). */
export const CHUNK_BYTES = 100;
/** A manifest over the 4 MiB the spec asks registries to accept, to probe the size limit. */
const OVERSIZED_MANIFEST_BYTES = 5 * 1024 * 1024;

/** Builds the script's content; two calls return identical bytes. */
export function conformanceContent(): ConformanceContent {
  const layer = toContent(MediaTypes.ociLayerGzip, seededBytes('conformance/layer', BLOB_BYTES));
  const chunked = toContent(MediaTypes.ociLayerGzip, seededBytes('conformance/chunked', CHUNK_BYTES * 3));
  const streamed = toContent(MediaTypes.ociLayerGzip, seededBytes('conformance/streamed', BLOB_BYTES));
  const single = toContent(MediaTypes.ociLayerGzip, seededBytes('conformance/single', BLOB_BYTES));
  const rootfs = { type: 'layers', diff_ids: [sha256Digest(layer.data)] };
  const config = jsonContent(MediaTypes.ociConfig, { architecture: 'amd64', os: 'linux', rootfs });
  const dockerConfig = jsonContent(MediaTypes.dockerConfig, { architecture: 'amd64', os: 'linux', rootfs, comment: 'docker' });
  const manifest = imageManifest(MediaTypes.ociManifest, config, [layer]);
  const dockerManifest = imageManifest(MediaTypes.dockerManifest, dockerConfig, [{ ...layer, mediaType: MediaTypes.dockerLayerGzip }]);
  const index = imageIndex(MediaTypes.ociIndex, [{ mediaType: manifest.mediaType, digest: manifest.digest, size: manifest.size, platform: { architecture: 'amd64', os: 'linux' } }]);
  const empty = toContent(MediaTypes.ociEmpty, Buffer.from('{}'));
  const subject = { mediaType: manifest.mediaType, digest: manifest.digest, size: manifest.size };
  const referrer = imageManifest(MediaTypes.ociManifest, empty, [empty], {
    artifactType: CONFORMANCE_ARTIFACT_TYPE,
    subject,
    annotations: { 'org.opencontainers.image.created': '2020-01-01T00:00:00Z' },
  });
  const ghost = jsonContent(MediaTypes.ociManifest, { schemaVersion: 2, ghost: true });
  const danglingReferrer = imageManifest(MediaTypes.ociManifest, empty, [empty], {
    artifactType: CONFORMANCE_ARTIFACT_TYPE,
    subject: { mediaType: ghost.mediaType, digest: ghost.digest, size: ghost.size },
  });
  const never = toContent(MediaTypes.ociLayerGzip, seededBytes('conformance/never-pushed', BLOB_BYTES));
  const missingBlobManifest = imageManifest(MediaTypes.ociManifest, config, [never]);
  const missingChildIndex = imageIndex(MediaTypes.ociIndex, [{ mediaType: ghost.mediaType, digest: ghost.digest, size: ghost.size }]);
  const oversizedManifest = imageManifest(MediaTypes.ociManifest, config, [layer], {
    annotations: { 'org.ferry.padding': 'x'.repeat(OVERSIZED_MANIFEST_BYTES) },
  });
  return {
    layer,
    chunked,
    streamed,
    single,
    config,
    dockerConfig,
    manifest,
    dockerManifest,
    index,
    empty,
    referrer,
    danglingReferrer,
    missingBlobManifest,
    missingChildIndex,
    oversizedManifest,
    absentDigest: sha256Digest(Buffer.from('ferry conformance: never stored anywhere')),
  };
}
