/**
 * Manifests Ferry already holds, so a rerun need not fetch them from the
 * source again: Docker Hub counts every manifest GET against its pull limit,
 * and an export resumed in its folder, or a copy whose images are already at
 * the destination, holds the exact bytes it would fetch. A holder only hands
 * out bytes; they are trusted after `heldManifest` has checked them against
 * the digest they were asked for, exactly as a fetched manifest is.
 */
import { parseStrictJson } from '../../src-shared/strict-json.ts';
import { digestWithAlgorithmOf } from './digest.ts';
import { MANIFEST_SIZE_LIMIT, parseManifest, type FetchedManifest } from './registry/manifests.ts';

/** Where held manifests come from: a bundle folder being resumed, or a copy's destination repository. */
export interface HeldManifests {
  /** The stored bytes of manifest `digest`, unchecked; undefined when not held (or not readable: the source is asked then). */
  read(digest: string, signal?: AbortSignal): Promise<Buffer | undefined>;
}

/**
 * The held manifest `digest`, checked: its bytes hash to the digest, and it
 * names its own media type (a source's Content-Type is not at hand, and a
 * type guessed from the shape might differ from the one the source served).
 * Undefined when not held or not usable, so the caller fetches it instead.
 */
export async function heldManifest(held: HeldManifests | undefined, digest: string, subject: string, signal?: AbortSignal): Promise<FetchedManifest | undefined> {
  if (held === undefined) return undefined;
  const bytes = await held.read(digest, signal);
  if (bytes === undefined || bytes.length > MANIFEST_SIZE_LIMIT || digestWithAlgorithmOf(digest, bytes) !== digest) return undefined;
  try {
    const parsed = parseStrictJson(bytes, { file: `${subject}: held manifest`, maxBytes: MANIFEST_SIZE_LIMIT, code: 'INVALID_MANIFEST' });
    const declared = typeof parsed === 'object' && parsed !== null && 'mediaType' in parsed && typeof parsed.mediaType === 'string' ? parsed.mediaType : undefined;
    return declared === undefined ? undefined : parseManifest(bytes, declared, digest, subject);
  } catch {
    return undefined;
  }
}
