/**
 * The OCI image layout files of a bundle (`oci-layout`, `index.json`) and the
 * names images get in it. https://github.com/opencontainers/image-spec/blob/main/image-layout.md
 */
import type { z } from 'zod';
import type { IndexEntrySchema } from '../../src-shared/schemas/oci.ts';
import { OCI_INDEX } from '../oci/media-types.ts';

/** The content of `oci-layout`: the layout version marker. */
export const OCI_LAYOUT_CONTENT = `${JSON.stringify({ imageLayoutVersion: '1.0.0' })}\n`;

/** The annotation skopeo, oras and crane read as the image's name in a layout (`oci:DIR:NAME`). */
export const REF_NAME_ANNOTATION = 'org.opencontainers.image.ref.name';
/** Ferry's annotation with the full source reference, so an importer knows where an image came from. */
export const SOURCE_ANNOTATION = 'io.ferry.source.reference';

/** One `index.json` entry: a root manifest's descriptor, annotated with its name (and in a bundle, its source). Inferred from the index schema. */
export type IndexEntry = z.infer<typeof IndexEntrySchema>;

/** What index.json needs to know of one exported image. */
export interface LayoutImage {
  name: string;
  source: string;
  digest: string;
  mediaType: string;
  manifestSize: number;
}

/** The index.json entry of an exported image. */
export function indexEntry(image: LayoutImage): IndexEntry {
  return { mediaType: image.mediaType, digest: image.digest, size: image.manifestSize, annotations: { [REF_NAME_ANNOTATION]: image.name, [SOURCE_ANNOTATION]: image.source } };
}

/**
 * The `index.json` of a bundle: one entry per exported reference, each
 * annotated with its name and source. Sorted by name so the bytes are stable.
 */
export function indexJson(images: LayoutImage[]): string {
  // Code-point order, not localeCompare: the bytes must not depend on the machine's locale.
  const manifests = [...images].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map(indexEntry);
  return `${JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests }, null, 2)}\n`;
}
