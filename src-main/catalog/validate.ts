/**
 * Input checks for the catalog: a bad argument is reported as
 * INVALID_ARGUMENT before any SQL runs, and an unknown id or site as NOT_FOUND.
 */
import { FerryError } from '../../src-shared/errors.ts';
import { isDigest } from '../oci/digest.ts';

/** Longest site name accepted: names appear in file names and table columns. */
const SITE_NAME_MAX = 128;
/** Control characters never belong in a name shown in a terminal. */
const CONTROL = /[\u0000-\u001f\u007f]/;

/** A non-empty string, else INVALID_ARGUMENT naming the field. */
export function requireText(field: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '' || CONTROL.test(value)) {
    throw new FerryError('INVALID_ARGUMENT', `${field} must be a non-empty string without control characters`, { field });
  }
  return value;
}

/** A site name: 1-128 printable characters, not blank. */
export function requireSiteName(value: unknown): string {
  const name = requireText('site name', value);
  if (name.length > SITE_NAME_MAX || name !== name.trim()) {
    throw new FerryError('INVALID_ARGUMENT', `site name "${name}" must be at most ${SITE_NAME_MAX} characters with no leading or trailing spaces`, { site: name });
  }
  return name;
}

/** A registry (host[:port][/prefix]); refuses userinfo (`user:pass@host`) so no credential reaches the catalog. */
export function requireRegistry(value: unknown): string {
  const registry = requireText('registry', value);
  if (registry.includes('@') || /\s/.test(registry)) {
    throw new FerryError('INVALID_ARGUMENT', `registry "${registry.replace(/^.*@/, '…@')}" must be host[:port][/prefix], without credentials or spaces`, { field: 'registry' });
  }
  return registry;
}

/** A content digest (algorithm:encoded). https://github.com/opencontainers/image-spec/blob/main/descriptor.md#digests */
export function requireDigest(field: string, value: unknown): string {
  if (typeof value !== 'string' || !isDigest(value)) {
    throw new FerryError('INVALID_ARGUMENT', `${field} is not a valid digest: ${JSON.stringify(value)}`, { field });
  }
  return value;
}

/** A byte count: a safe non-negative integer. */
export function requireSize(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new FerryError('INVALID_ARGUMENT', `${field} must be a non-negative integer, got ${JSON.stringify(value)}`, { field });
  }
  return value;
}

/** A positive row limit for listings. */
export function requireLimit(value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new FerryError('INVALID_ARGUMENT', `limit must be a positive integer, got ${value}`, { field: 'limit' });
  }
  return value;
}

/** A timestamp normalised to ISO 8601 UTC, so rows sort by time as text whatever offset the writer used. */
export function requireTime(field: string, value: unknown): string {
  const time = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(time)) throw new FerryError('INVALID_ARGUMENT', `${field} is not a valid ISO 8601 time: ${JSON.stringify(value)}`, { field });
  return new Date(time).toISOString();
}

/** One of a closed set of values. */
export function requireOneOf<T extends string>(field: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new FerryError('INVALID_ARGUMENT', `${field} must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`, { field });
  }
  return value as T;
}
