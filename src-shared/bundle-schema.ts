/**
 * The JSON schema of ferry.json and a small validator for the subset of JSON
 * Schema it uses. Reading a bundle starts here: nothing in ferry.json is used
 * before it passes, and a failure names the exact field.
 */
import type { BundleManifest } from './model/bundle.ts';
import { BUNDLE_FORMAT_VERSION } from './model/bundle.ts';
import { FerryError } from './errors.ts';

/** The subset of JSON Schema (draft 2020-12 keywords) the bundle schema uses. */
export interface Schema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'boolean' | 'null' | Array<'string' | 'null'>;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean;
  items?: Schema;
  pattern?: string;
  const?: unknown;
  enum?: unknown[];
  minimum?: number;
  maxLength?: number;
}

const DIGEST = '^sha256:[a-f0-9]{64}$';
const SAFE_NAME = '^[A-Za-z0-9][A-Za-z0-9._-]*$';
const SIZE: Schema = { type: 'integer', minimum: 0 };
const TEXT: Schema = { type: 'string', maxLength: 4096 };
const TEXT_LIST: Schema = { type: 'array', items: TEXT };

/** The schema of ferry.json, format version 1. */
export const BUNDLE_MANIFEST_SCHEMA: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['formatVersion', 'bundleId', 'sequence', 'created', 'exporter', 'form', 'imageSet', 'images', 'blobs', 'parts', 'parent'],
  properties: {
    formatVersion: { const: BUNDLE_FORMAT_VERSION },
    bundleId: { type: 'string', pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' },
    sequence: { type: 'integer', minimum: 1 },
    created: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}T' },
    expires: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}T' },
    exporter: { type: 'object', additionalProperties: false, required: ['host', 'user', 'ferryVersion'], properties: { host: TEXT, user: TEXT, ferryVersion: TEXT } },
    form: { enum: ['directory', 'archive'] },
    imageSet: {
      type: 'object', additionalProperties: false, required: ['references', 'lists', 'platforms'],
      properties: {
        references: TEXT_LIST,
        lists: { type: 'array', items: { type: 'object', additionalProperties: false, required: ['file', 'references'], properties: { file: TEXT, references: TEXT_LIST } } },
        platforms: TEXT_LIST,
        set: TEXT,
        notes: TEXT_LIST,
      },
    },
    images: {
      type: 'array',
      items: {
        type: 'object', additionalProperties: false, required: ['name', 'source', 'digest', 'mediaType', 'platforms', 'size'],
        properties: {
          name: TEXT, source: TEXT, tag: TEXT, digest: { type: 'string', pattern: DIGEST }, mediaType: TEXT, platforms: TEXT_LIST, size: SIZE, section: TEXT,
          targets: { type: 'array', items: { type: 'object', additionalProperties: false, required: ['path'], properties: { path: { type: 'string', pattern: '^[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*)*$' }, tag: { type: 'string', pattern: '^[\\w][\\w.-]{0,127}$' } } } },
        },
      },
    },
    blobs: { type: 'array', items: { type: 'object', additionalProperties: false, required: ['digest', 'size'], properties: { digest: { type: 'string', pattern: DIGEST }, size: SIZE } } },
    parts: {
      type: 'array',
      items: { type: 'object', additionalProperties: false, required: ['name', 'size', 'sha256'], properties: { name: { type: 'string', pattern: SAFE_NAME }, size: SIZE, sha256: { type: 'string', pattern: '^[a-f0-9]{64}$' } } },
    },
    parent: { type: ['string', 'null'] },
    omitted: { type: 'array', items: { type: 'object', additionalProperties: false, required: ['digest', 'size'], properties: { digest: { type: 'string', pattern: DIGEST }, size: SIZE } } },
  },
};

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (Number.isInteger(value)) return 'integer';
  return typeof value;
}

/** Checks a value against a schema; returns every problem as `path: what is wrong`. */
export function validate(value: unknown, schema: Schema, path = '$'): string[] {
  const problems: string[] = [];
  if (schema.const !== undefined && value !== schema.const) return [`${path}: must be ${JSON.stringify(schema.const)}`];
  if (schema.enum && !schema.enum.includes(value)) return [`${path}: must be one of ${schema.enum.map((v) => JSON.stringify(v)).join(', ')}`];
  if (schema.type !== undefined) {
    const allowed = Array.isArray(schema.type) ? schema.type : [schema.type];
    if (!allowed.includes(typeOf(value) as never)) return [`${path}: must be ${allowed.join(' or ')}, got ${typeOf(value)}`];
  }
  if (typeof value === 'string') {
    if (schema.maxLength !== undefined && value.length > schema.maxLength) problems.push(`${path}: longer than ${schema.maxLength} characters`);
    if (schema.pattern !== undefined && !new RegExp(schema.pattern).test(value)) problems.push(`${path}: ${JSON.stringify(value.slice(0, 80))} does not match ${schema.pattern}`);
  }
  if (typeof value === 'number' && schema.minimum !== undefined && value < schema.minimum) problems.push(`${path}: must be at least ${schema.minimum}`);
  if (Array.isArray(value) && schema.items) value.forEach((item, i) => problems.push(...validate(item, schema.items as Schema, `${path}[${i}]`)));
  if (typeOf(value) === 'object' && schema.properties) {
    const record = value as Record<string, unknown>;
    for (const key of schema.required ?? []) if (!(key in record)) problems.push(`${path}.${key}: is missing`);
    for (const [key, item] of Object.entries(record)) {
      const child = schema.properties[key];
      if (child) problems.push(...validate(item, child, `${path}.${key}`));
      else if (schema.additionalProperties === false) problems.push(`${path}.${key}: is not allowed`);
    }
  }
  return problems;
}

/** Parses and validates ferry.json text; throws INVALID_MANIFEST listing every problem, naming the file. */
export function parseBundleManifest(text: string, fileName: string): BundleManifest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new FerryError('INVALID_MANIFEST', `${fileName} is not valid JSON (${error instanceof Error ? error.message : String(error)})`, { file: fileName });
  }
  const problems = validate(parsed, BUNDLE_MANIFEST_SCHEMA);
  if (problems.length > 0) {
    throw new FerryError('INVALID_MANIFEST', `${fileName} does not match the bundle schema:\n  ${problems.slice(0, 20).join('\n  ')}${problems.length > 20 ? `\n  … and ${problems.length - 20} more` : ''}`, { file: fileName, problems });
  }
  return parsed as BundleManifest;
}
