/**
 * Keeping secrets out of the catalog, and the canonical JSON the audit hash
 * chain is computed over. The catalog file is plain SQLite that backups,
 * support bundles and other users may read, so nothing secret-looking is
 * ever written to it.
 */
import { FerryError } from '../../src-shared/errors.ts';

/** Keys whose values are treated as secrets and dropped, at any depth. */
export const SECRET_KEY = /pass|secret|token|auth|cred/i;

/** A JSON-safe copy of `value` with every object key matching SECRET_KEY removed, at any depth. */
export function dropSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((item) => dropSecrets(item));
  if (value !== null && typeof value === 'object') {
    if (value instanceof Date) return value.toISOString();
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      if (SECRET_KEY.test(key) || item === undefined || typeof item === 'function') continue;
      out[key] = dropSecrets(item);
    }
    return out;
  }
  return value;
}

/** A record's sanitised JSON text, as stored; throws INVALID_ARGUMENT for values JSON cannot hold (bigint, cycles). */
export function sanitisedJson(what: string, value: Record<string, unknown>): string {
  try {
    return canonicalJson(dropSecrets(value));
  } catch (error) {
    throw new FerryError('INVALID_ARGUMENT', `${what} cannot be stored as JSON: ${error instanceof Error ? error.message : String(error)}`, undefined, { cause: error });
  }
}

/** JSON with object keys sorted at every depth and no whitespace: one text per value, so a hash over it is stable. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((item) => sortKeys(item));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) out[key] = sortKeys((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}

/** Parses a JSON object column, tolerating a damaged value (the audit check reports damage; listings should not crash on it). */
export function parseObject(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** Parses a JSON string-array column such as platforms or registries. */
export function parseStrings(text: string): string[] {
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
  } catch {
    return [];
  }
}
