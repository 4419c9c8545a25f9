/**
 * Which distribution-spec endpoint a request path names. Repository names
 * may hold slashes (`library/alpine`, `team/app/api`), so the endpoint is
 * read from the path's end: `…/manifests/<ref>`, `…/blobs/<digest>`,
 * `…/blobs/uploads/[<id>]`, `…/tags/list`, `…/referrers/<digest>`; what
 * precedes it is the name, checked with the store's one copy of the spec's
 * grammar (store-layout.ts). https://github.com/opencontainers/distribution-spec/blob/main/spec.md#endpoints
 */
import { checkRepositoryName } from './store-layout.ts';

/** One endpoint of the API with the parts its path carries. */
export type RegistryRoute =
  | { kind: 'base' }
  | { kind: 'catalog' }
  | { kind: 'tags'; name: string }
  | { kind: 'manifest'; name: string; reference: string }
  | { kind: 'blob'; name: string; digest: string }
  | { kind: 'uploads'; name: string }
  | { kind: 'upload'; name: string; id: string }
  | { kind: 'referrers'; name: string; digest: string };

/** Decoded path segments after `/v2`, or undefined when the path is not under `/v2` or does not decode. */
function segmentsAfterV2(pathname: string): string[] | undefined {
  const raw = pathname.split('/');
  if (raw[0] !== '' || raw[1] !== 'v2') return undefined;
  const segments: string[] = [];
  for (const encoded of raw.slice(2)) {
    try {
      segments.push(decodeURIComponent(encoded));
    } catch {
      return undefined;
    }
  }
  return segments;
}

/**
 * The endpoint a path names, or undefined for a path that names none (404).
 * A name outside the grammar is refused with NAME_INVALID (400) once the
 * endpoint is known, so `/v2/UPPER/tags/list` says why it cannot exist.
 */
export function parseRegistryPath(pathname: string): RegistryRoute | undefined {
  const segments = segmentsAfterV2(pathname);
  if (segments === undefined) return undefined;
  if (segments.length === 0 || (segments.length === 1 && segments[0] === '')) return { kind: 'base' };
  if (segments.length === 1 && segments[0] === '_catalog') return { kind: 'catalog' };
  const n = segments.length;
  const at = (fromEnd: number): string | undefined => segments[n - fromEnd];
  const nameBefore = (count: number): string => {
    const name = segments.slice(0, n - count).join('/');
    checkRepositoryName(name);
    return name;
  };
  if (n >= 3 && at(2) === 'manifests') return { kind: 'manifest', name: nameBefore(2), reference: at(1) ?? '' };
  if (n >= 3 && at(2) === 'tags' && at(1) === 'list') return { kind: 'tags', name: nameBefore(2) };
  if (n >= 3 && at(2) === 'referrers') return { kind: 'referrers', name: nameBefore(2), digest: at(1) ?? '' };
  if (n >= 4 && at(3) === 'blobs' && at(2) === 'uploads') {
    const id = at(1) ?? '';
    return id === '' ? { kind: 'uploads', name: nameBefore(3) } : { kind: 'upload', name: nameBefore(3), id };
  }
  if (n >= 3 && at(2) === 'blobs' && at(1) === 'uploads') return { kind: 'uploads', name: nameBefore(2) };
  if (n >= 3 && at(2) === 'blobs') return { kind: 'blob', name: nameBefore(2), digest: at(1) ?? '' };
  return undefined;
}

/** The path of a repository's endpoint, as Location and Link headers carry it (relative, as the spec allows). */
export function registryPath(name: string, ...tail: string[]): string {
  return `/v2/${name}/${tail.map((part) => encodeURIComponent(part).replace(/%3A/gi, ':')).join('/')}`;
}
