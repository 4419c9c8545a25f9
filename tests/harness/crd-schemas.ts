/**
 * The OpenShift API's own schemas as a checker for the objects Ferry writes:
 * the CRDs vendored in tests/fixtures/crds/ (see its README) compiled with
 * ajv, with the API server's strictness emulated where the schema alone is
 * lenient — unknown fields refused (kubectl's strict field validation),
 * ObjectMeta checked, the ClusterCatalog CEL rules run as JavaScript
 * translations (an unknown rule throws rather than passing unchecked) — and a
 * core-fields schema for ConfigMap, which has no CRD.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Ajv, type AnySchemaObject, type ValidateFunction } from 'ajv';
import { parse } from 'yaml';

const CRD_DIR = join(import.meta.dirname, '..', 'fixtures', 'crds');

/** A plain JSON object, as the YAML parser gives one. */
export type Json = Record<string, unknown>;

/** Whether a parsed YAML value is a mapping. */
export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value at a path of a parsed YAML value, or undefined. */
export function field(value: unknown, ...path: Array<string | number>): unknown {
  let current = value;
  for (const key of path) {
    if (typeof key === 'number') current = Array.isArray(current) ? current[key] : undefined;
    else current = isObject(current) ? current[key] : undefined;
  }
  return current;
}

// --- CEL: the rules of the vendored schemas, translated; an unknown rule fails the test instead of passing unchecked.
/** CEL's string.find(re): the first match (RE2, unanchored) or "". */
const find = (text: string, re: string): string => new RegExp(re).exec(text)?.[0] ?? '';
/** CEL's string.matches(re): true when the pattern matches anywhere (RE2 semantics, unanchored). */
const matches = (text: string, re: string): boolean => new RegExp(re).test(text);
const text = (self: unknown): string => (typeof self === 'string' ? self : '');
const has = (self: unknown, key: string): boolean => isObject(self) && self[key] !== undefined;
const CEL_RULES: Record<string, (self: unknown) => boolean> = {
  "has(self.type) && self.type == 'Image' ? has(self.image) : !has(self.image)": (self) => (has(self, 'type') && field(self, 'type') === 'Image' ? has(self, 'image') : !has(self, 'image')),
  'self.ref.find(\'(@.*:)\') != "" ? !has(self.pollIntervalMinutes) : true': (self) => (find(text(field(self, 'ref')), '(@.*:)') !== '' ? !has(self, 'pollIntervalMinutes') : true),
  "self.matches('^([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])((\\\\.([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))+)?(:[0-9]+)?\\\\b')": (self) =>
    matches(text(self), '^([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])((\\.([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))+)?(:[0-9]+)?\\b'),
  'self.find(\'(\\\\/[a-z0-9]+((([._]|__|[-]*)[a-z0-9]+)+)?((\\\\/[a-z0-9]+((([._]|__|[-]*)[a-z0-9]+)+)?)+)?)\') != ""': (self) =>
    find(text(self), '(\\/[a-z0-9]+((([._]|__|[-]*)[a-z0-9]+)+)?((\\/[a-z0-9]+((([._]|__|[-]*)[a-z0-9]+)+)?)+)?)') !== '',
  'self.find(\'(@.*:)\') != "" || self.find(\':.*$\') != ""': (self) => find(text(self), '(@.*:)') !== '' || find(text(self), ':.*$') !== '',
  "self.find('(@.*:)') == \"\" ? (self.find(':.*$') != \"\" ? self.find(':.*$').substring(1).size() <= 127 : true) : true": (self) =>
    find(text(self), '(@.*:)') === '' ? (find(text(self), ':.*$') !== '' ? find(text(self), ':.*$').slice(1).length <= 127 : true) : true,
  "self.find('(@.*:)') == \"\" ? (self.find(':.*$') != \"\" ? self.find(':.*$').matches(':[\\\\w][\\\\w.-]*$') : true) : true": (self) =>
    find(text(self), '(@.*:)') === '' ? (find(text(self), ':.*$') !== '' ? matches(find(text(self), ':.*$'), ':[\\w][\\w.-]*$') : true) : true,
  "self.find('(@.*:)') != \"\" ? self.find('(@.*:)').matches('(@[A-Za-z][A-Za-z0-9]*([-_+.][A-Za-z][A-Za-z0-9]*)*[:])') : true": (self) =>
    find(text(self), '(@.*:)') !== '' ? matches(find(text(self), '(@.*:)'), '(@[A-Za-z][A-Za-z0-9]*([-_+.][A-Za-z][A-Za-z0-9]*)*[:])') : true,
  "self.find('(@.*:)') != \"\" ? self.find(':.*$').substring(1).size() >= 32 : true": (self) => (find(text(self), '(@.*:)') !== '' ? find(text(self), ':.*$').slice(1).length >= 32 : true),
  "self.find('(@.*:)') != \"\" ? self.find(':.*$').matches(':[0-9A-Fa-f]*$') : true": (self) => (find(text(self), '(@.*:)') !== '' ? matches(find(text(self), ':.*$'), ':[0-9A-Fa-f]*$') : true),
  'self.find(\'(@.*:)\') != ""': (self) => find(text(self), '(@.*:)') !== '',
  'isURL(self)': (self) => URL.canParse(text(self)),
  'isURL(self) ? (url(self).getScheme() == "http" || url(self).getScheme() == "https") : true': (self) =>
    URL.canParse(text(self)) ? ['http:', 'https:'].includes(new URL(text(self)).protocol) : true,
};

function newAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false });
  for (const keyword of ['x-kubernetes-list-type', 'x-kubernetes-list-map-keys', 'x-kubernetes-map-type', 'x-kubernetes-int-or-string', 'x-kubernetes-preserve-unknown-fields'])
    ajv.addKeyword({ keyword });
  ajv.addKeyword({
    keyword: 'x-kubernetes-validations',
    schemaType: 'array',
    validate: (rules: Array<{ rule: string }>, data: unknown) =>
      rules.every(({ rule }) => {
        const check = CEL_RULES[rule];
        if (!check) throw new Error(`no JavaScript translation for the CEL rule ${JSON.stringify(rule)}`);
        return check(data);
      }),
  });
  ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 });
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isInteger(n) });
  ajv.addFormat('date-time', { type: 'string', validate: (s: string) => !Number.isNaN(Date.parse(s)) });
  return ajv;
}

/** Refuses unknown fields wherever the schema lists properties, as `kubectl apply` (strict field validation) does. */
function strictFields(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(strictFields);
  if (!isObject(schema)) return schema;
  const out: Json = {};
  for (const [key, value] of Object.entries(schema)) out[key] = key === 'x-kubernetes-validations' || key === 'enum' || key === 'default' ? value : strictFields(value);
  if (isObject(out.properties) && out.additionalProperties === undefined && out['x-kubernetes-preserve-unknown-fields'] !== true) out.additionalProperties = false;
  return out;
}

/** Kubernetes names: DNS-1123 subdomains, namespaces DNS-1123 labels (apimachinery's validation). */
const DNS_SUBDOMAIN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
const DNS_LABEL = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
/** The ObjectMeta fields Ferry writes, as the API server checks them. */
const OBJECT_META: AnySchemaObject = {
  type: 'object',
  required: ['name'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', maxLength: 253, pattern: DNS_SUBDOMAIN },
    namespace: { type: 'string', maxLength: 63, pattern: DNS_LABEL },
    labels: { type: 'object', propertyNames: { maxLength: 316 }, additionalProperties: { type: 'string', maxLength: 63 } },
    annotations: { type: 'object', additionalProperties: { type: 'string' } },
  },
};
/** ConfigMap has no CRD: its core fields (k8s.io/api core/v1 ConfigMap), binaryData values base64. */
const CONFIG_MAP: AnySchemaObject = {
  type: 'object',
  required: ['apiVersion', 'kind', 'metadata'],
  additionalProperties: false,
  properties: {
    apiVersion: { const: 'v1' },
    kind: { const: 'ConfigMap' },
    metadata: OBJECT_META,
    immutable: { type: 'boolean' },
    data: { type: 'object', propertyNames: { pattern: '^[-._a-zA-Z0-9]+$', maxLength: 253 }, additionalProperties: { type: 'string' } },
    binaryData: {
      type: 'object',
      propertyNames: { pattern: '^[-._a-zA-Z0-9]+$', maxLength: 253 },
      additionalProperties: { type: 'string', pattern: '^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$' },
    },
  },
};

/** A kind's checker: the object's schema, its metadata, and its scope. */
export interface KindCheck {
  apiVersion: string;
  namespaced: boolean;
  validate: ValidateFunction;
}

/** Compiles every vendored CRD (and ConfigMap's core schema) into a checker per kind. */
export async function loadChecks(): Promise<Map<string, KindCheck>> {
  const ajv = newAjv();
  const meta = ajv.compile(OBJECT_META);
  const checks = new Map<string, KindCheck>();
  for (const file of (await readdir(CRD_DIR)).filter((name) => name.endsWith('.crd.yaml'))) {
    const crd: unknown = parse(await readFile(join(CRD_DIR, file), 'utf8'));
    const versions = field(crd, 'spec', 'versions');
    const served = Array.isArray(versions) ? versions.filter((v) => field(v, 'served') === true && field(v, 'storage') === true) : [];
    const [version] = served;
    const kind = field(crd, 'spec', 'names', 'kind');
    if (served.length !== 1 || typeof kind !== 'string') throw new Error(`${file}: expected one served storage version and a kind`);
    const schema = strictFields(field(version, 'schema', 'openAPIV3Schema'));
    if (!isObject(schema)) throw new Error(`${file}: no openAPIV3Schema`);
    const validateObject = ajv.compile(schema);
    const validate = ((data: unknown) => {
      const ok = validateObject(data);
      const metaOk = meta(field(data, 'metadata'));
      validate.errors = [...(validateObject.errors ?? []), ...(meta.errors ?? []).map((e) => ({ ...e, instancePath: `/metadata${e.instancePath}` }))];
      return ok && metaOk;
    }) as ValidateFunction;
    checks.set(kind, { apiVersion: `${String(field(crd, 'spec', 'group'))}/${String(field(version, 'name'))}`, namespaced: field(crd, 'spec', 'scope') === 'Namespaced', validate });
  }
  checks.set('ConfigMap', { apiVersion: 'v1', namespaced: true, validate: ajv.compile(CONFIG_MAP) });
  return checks;
}

/** Why an object is refused, or an empty list when its CRD (and the API server's rules emulated here) accept it. */
export function problems(checks: Map<string, KindCheck>, object: unknown): string[] {
  const kind = field(object, 'kind');
  const check = typeof kind === 'string' ? checks.get(kind) : undefined;
  if (!check) return [`no schema for kind ${String(kind)}`];
  const found: string[] = [];
  if (field(object, 'apiVersion') !== check.apiVersion) found.push(`apiVersion ${String(field(object, 'apiVersion'))} is not ${check.apiVersion}`);
  if (check.namespaced !== (field(object, 'metadata', 'namespace') !== undefined))
    found.push(check.namespaced ? 'a namespaced kind needs metadata.namespace' : 'a cluster-scoped kind takes no namespace');
  if (!check.validate(object)) found.push(...(check.validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`));
  return found;
}
