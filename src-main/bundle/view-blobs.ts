/**
 * The blobs of a verified bundle as a LayerReader (oci/image-files.ts), for
 * code that reads a few blobs' content after verification — image files for
 * the browser, signature payloads for trust/image-signatures.ts — without
 * caring which form the bundle has: a directory's blob files at random, an
 * archive's parts in one pass. Every byte passes its digest check again.
 */
import { sourceLayerReader, type LayerReader } from '../oci/image-files.ts';
import { archiveLayerReader, ArchiveBlobs } from './archive-blobs.ts';
import { BlobDirectory } from './blob-directory.ts';
import type { VerifiedBundle } from './bundle-view.ts';

/** A reader over the bundle's blobs: the archive's parts for the archive form, the blobs folder otherwise. */
export function viewBlobReader(view: Pick<VerifiedBundle, 'dir' | 'form' | 'manifest'>): LayerReader {
  return view.form === 'archive' ? archiveLayerReader(new ArchiveBlobs(view.dir, view.manifest?.parts ?? [])) : sourceLayerReader(new BlobDirectory(view.dir));
}
