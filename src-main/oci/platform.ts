/**
 * Platforms (`linux/arm64/v8`): parsing what users type and matching index
 * entries against it. https://github.com/opencontainers/image-spec/blob/main/image-index.md#platform-variants
 */
import type { Platform } from '../../src-shared/model/oci.ts';
import { FerryError } from '../../src-shared/errors.ts';

/** Which platforms of a multi-platform image to carry. */
export type PlatformSelection = { kind: 'all' } | { kind: 'some'; platforms: Platform[] };

/** Every platform: the default, so a mirrored index keeps its digest. */
export const ALL_PLATFORMS: PlatformSelection = { kind: 'all' };

const PART = /^[a-z0-9._-]+$/i;

/** Parses `os/arch[/variant]` as `--platform` takes it; throws INVALID_ARGUMENT naming the bad part. */
export function parsePlatform(input: string): Platform {
  const parts = input.split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !PART.test(p))) {
    throw new FerryError('INVALID_ARGUMENT', `invalid platform "${input}": expected OS/ARCH or OS/ARCH/VARIANT, e.g. linux/amd64 or linux/arm64/v8`, { platform: input });
  }
  const [os = '', architecture = '', variant] = parts;
  return variant === undefined ? { os, architecture } : { os, architecture, variant };
}

/** The display form `os/arch[/variant]`. */
export function formatPlatform(platform: Platform): string {
  return [platform.os, platform.architecture, platform.variant].filter((p) => p !== undefined && p !== '').join('/');
}

/**
 * True when an index entry's platform satisfies a wanted one. A wanted
 * platform without a variant matches any variant (as containerd does for
 * `linux/arm64` against `linux/arm64/v8`).
 */
export function platformMatches(candidate: Platform | undefined, wanted: Platform): boolean {
  if (candidate === undefined) return false;
  if (candidate.os !== wanted.os || candidate.architecture !== wanted.architecture) return false;
  return wanted.variant === undefined || candidate.variant === wanted.variant;
}

/** True when the selection keeps this index entry. */
export function selects(selection: PlatformSelection, platform: Platform | undefined): boolean {
  return selection.kind === 'all' || selection.platforms.some((wanted) => platformMatches(platform, wanted));
}
