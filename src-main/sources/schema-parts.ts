/**
 * The building blocks every image-set section schema shares (image-set-schema.ts,
 * openshift-schema.ts): closed mappings that name unknown keys, lists, trimmed
 * text, references and version ranges parsed while checked, each with the
 * wording a person reads in the error.
 */
import { z } from 'zod';
import type { Reference } from '../../src-shared/model/oci.ts';
import { parseReference } from '../oci/reference.ts';
import { parseRange, type VersionRange } from './versions.ts';

/** The message of a caught value, for an issue's wording. */
export function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A closed mapping: an unknown key is refused by name, with the known ones listed. */
export function closed<T extends z.core.$ZodLooseShape>(shape: T, noun = 'key') {
  const known = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (issue) => (issue.code === 'unrecognized_keys' ? `is not a known ${noun} (${noun}s: ${known})` : `must be a mapping (${noun}s: ${known})`),
  });
}

/** A list, with the wording for a value that is not one. */
export function list<T extends z.ZodType>(item: T, what = 'must be a list') {
  return z.array(item, { error: what });
}

/** A trimmed, non-empty string. */
export const text = z.string({ error: 'must be a non-empty string' }).trim().min(1, { error: 'must be a non-empty string' });

/** A string or a number written as text (YAML reads `semver: 1.2` as a number). */
export const textOrNumber = z.union([z.string(), z.number()], { error: 'must be a string' }).transform(String);

/** An image reference, parsed. */
export const reference = text.transform((value, ctx): Reference => {
  try {
    return parseReference(value);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: `is not an image reference: ${reason(error)}` });
    return z.NEVER;
  }
});

/** An npm-style range, compiled by node-semver. */
export const range = textOrNumber.transform((value, ctx): VersionRange => {
  const parsed = parseRange(value);
  if (parsed) return parsed;
  ctx.addIssue({ code: 'custom', message: `is not a version range such as ">=1.2 <2", "~1.35" or "^1.2": "${value}"` });
  return z.NEVER;
});
