/**
 * The verified view of a bundle (either form) or plain OCI image layout: what
 * verification read and checked in its one pass — the exact bytes and parsed
 * objects of ferry.json, index.json and every manifest of the images' graphs,
 * and every blob's size. Import, the inspector, the mirror configuration and
 * the catalog record use only this view; after verification the media is read
 * for blob content alone, which is checked against its digest again as it
 * streams. Nothing here reads a file: verify.ts builds the view.
 */
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import type { BundleManifest } from '../../src-shared/model/bundle.ts';
import type { CollectedManifest } from './bundle-graph.ts';
import { REF_NAME_ANNOTATION, SOURCE_ANNOTATION, type IndexEntry } from './layout.ts';

/** One image to import: its name in the bundle, where it came from, and its root manifest. */
export interface BundleImageRef {
  name: string;
  /** The source reference (`quay.io/org/app:v1`), or for a plain layout a name derived from the folder. */
  source: string;
  digest: string;
  mediaType: string;
  /** Where the image set wants it (repository path under the prefix, tag), from ferry.json. */
  targets?: Array<{ path: string; tag?: string }>;
  /** A local artifact (ferry.json format 2): its artifactType; its `source` then describes what it was made from and is no reference. */
  artifactType?: string;
  /** The image set section that brought it, from ferry.json. */
  section?: string;
  /** A signature, attestation or SBOM carried with its subject image (ferry.json's `referrer`): it lands where the subject lands. */
  referrer?: { subject: string; kind: 'signature' | 'attestation' | 'sbom' | 'other' };
}

/** One manifest of an image's graph as verified: exact bytes, the media type it is pushed with, its kind and children. */
export type VerifiedManifest = CollectedManifest;

/** A bundle that passed verification, as verification read it. Only verifyBundleDetailed makes one, and only when every check passed. */
export interface VerifiedBundle {
  dir: string;
  form: 'directory' | 'archive' | 'oci-layout';
  /** ferry.json, parsed and checked against the schema; undefined for a plain OCI layout. */
  manifest: BundleManifest | undefined;
  /** ferry.json's exact bytes, as verified. */
  ferryJson: Buffer | undefined;
  /** `sha256:<hex>` of those bytes: with the bundle id, what identifies this bundle (the catalog keeps it). */
  ferryJsonDigest: string | undefined;
  /** index.json's exact bytes and its entries. */
  index: { bytes: Buffer; entries: IndexEntry[] };
  /** `sha256:<hex>` of index.json: what identifies a plain layout, which has no ferry.json. */
  indexDigest: string;
  /** The images, from index.json's entries with ferry.json's source and targets. */
  images: BundleImageRef[];
  /** Every manifest reachable from the images, by digest. */
  manifests: Map<string, VerifiedManifest>;
  /** Every blob present, by digest, with its verified size. */
  sizes: Map<string, number>;
}

/** The registry host given to images of a plain layout whose names carry none; `.invalid` is reserved (RFC 2606), so it never names a real registry. */
export const LAYOUT_HOST = 'layout.invalid';

/** `sha256:<hex>` of some bytes. */
function sha256Of(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/**
 * The source reference a plain layout's entry stands for: a full reference
 * name as is; a bare tag (skopeo's `oci:DIR:TAG`) or digest as
 * `layout.invalid/<folder name>:<tag>`, so it lands at `PREFIX/<folder name>:<tag>`.
 */
function layoutSource(entry: IndexEntry, dir: string): string {
  const name = entry.annotations?.[REF_NAME_ANNOTATION] ?? entry.digest;
  const source = entry.annotations?.[SOURCE_ANNOTATION];
  if (source) return source;
  if (name.includes('/')) return name;
  const repository =
    basename(dir)
      .toLowerCase()
      .replace(/[^a-z0-9._-]/g, '-')
      .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '') || 'image';
  if (name.startsWith('sha256:')) return `${LAYOUT_HOST}/${repository}@${name}`;
  return name.includes(':') ? `${LAYOUT_HOST}/${name}` : `${LAYOUT_HOST}/${repository}:${name}`;
}

/** The images of index.json's entries, with the source and targets ferry.json gives each. */
function imagesOf(entries: IndexEntry[], dir: string, manifest: BundleManifest | undefined): BundleImageRef[] {
  return entries.map((entry) => {
    const listed = manifest?.images.find((i) => i.digest === entry.digest && i.name === entry.annotations?.[REF_NAME_ANNOTATION]);
    return {
      name: entry.annotations?.[REF_NAME_ANNOTATION] ?? entry.digest,
      source: listed?.source ?? layoutSource(entry, dir),
      digest: entry.digest,
      mediaType: entry.mediaType,
      ...(listed?.targets ? { targets: listed.targets } : {}),
      ...(listed?.artifactType !== undefined ? { artifactType: listed.artifactType } : {}),
      ...(listed?.section !== undefined ? { section: listed.section } : {}),
      ...(listed?.referrer !== undefined ? { referrer: listed.referrer } : {}),
    };
  });
}

/** What verification hands over to make the view: everything it read and checked. */
export interface VerifiedParts {
  dir: string;
  form: VerifiedBundle['form'];
  ferry?: { bytes: Buffer; manifest: BundleManifest };
  index: { bytes: Buffer; entries: IndexEntry[] };
  manifests: Map<string, VerifiedManifest>;
  sizes: Map<string, number>;
}

/** Builds the view from what verification read (called by verify.ts once every check has passed). */
export function verifiedView(parts: VerifiedParts): VerifiedBundle {
  const { dir, form, ferry, index, manifests, sizes } = parts;
  return {
    dir,
    form,
    manifest: ferry?.manifest,
    ferryJson: ferry?.bytes,
    ferryJsonDigest: ferry ? sha256Of(ferry.bytes) : undefined,
    index,
    indexDigest: sha256Of(index.bytes),
    images: imagesOf(index.entries, dir, ferry?.manifest),
    manifests,
    sizes,
  };
}
