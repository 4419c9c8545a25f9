/**
 * Reading the site policy (docs/trust.md "Site policy"): `policy.yaml` beside
 * the catalog, or the file `--policy` names. The file is read once as bytes,
 * so its digest (what approvals name and the audit log records) is the
 * digest of exactly the text checked; the text goes through the project's one
 * YAML reader and the shared schema, every problem naming its line; each
 * trusted key is parsed here (inline PEM or a `.pub` file beside the policy),
 * so a policy that loads is one every rule can be evaluated with.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { open } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import { FerryError } from '../../src-shared/errors.ts';
import type { KeyRole } from '../../src-shared/model/trust.ts';
import { maxAgeMs, SitePolicySchema } from '../../src-shared/schemas/policy.ts';
import { checkContent } from '../base/content-check.ts';
import { catalogFolder } from '../base/data-folder.ts';
import { readYaml, YAML_MAX_BYTES, type YamlContent } from '../base/yaml-read.ts';
import { sha256Digest } from '../oci/digest.ts';
import { keyFingerprint, readPublicKeyFile } from './keys.ts';

/** The policy's file name beside the catalog. */
export const POLICY_FILE = 'policy.yaml';

/** A key the policy trusts, parsed: its name, role, id (the SPKI fingerprint, as signatures name it) and public key. */
export interface PolicyKey {
  name: string;
  role: KeyRole;
  keyId: string;
  publicKey: KeyObject;
}

/** A loaded site policy: every rule with its defaults, the keys parsed, and the file's path and digest. */
export interface SitePolicy {
  path: string;
  /** `sha256:<hex>` of the file's exact bytes. */
  digest: string;
  trustedKeys: PolicyKey[];
  require: { exporter: number; officer: number };
  /** Absent: any source. */
  allowedSources?: string[];
  blockedImages: string[];
  /** Absent: any target. */
  allowedTargets?: string[];
  overwriteTags: boolean;
  /** As written (`30d`) and in milliseconds. */
  maxAge?: { text: string; ms: number };
  requireImageSignatures: string[];
}

/** Where the policy lives when none is named: beside the catalog (its folder, or Ferry's data folder for an in-memory catalog). */
export function defaultPolicyPath(catalogPath?: string): string {
  return catalogPath === undefined || catalogPath === ':memory:' ? join(catalogFolder(), POLICY_FILE) : join(dirname(catalogPath), POLICY_FILE);
}

/** Reads a policy file's exact bytes within the YAML cap; undefined when there is no such file. Shared with the Settings editor, which shows and digests the same bytes. */
export async function readPolicyBytes(path: string): Promise<Buffer | undefined> {
  try {
    const handle = await open(path, 'r');
    try {
      const { size } = await handle.stat();
      if (size > YAML_MAX_BYTES) throw new FerryError('INVALID_CONTENT', `${path} is ${size} bytes, more than the ${YAML_MAX_BYTES} bytes a policy may have`, { file: path, size });
      return await handle.readFile();
    } finally {
      await handle.close();
    }
  } catch (error) {
    if (error instanceof FerryError) throw error;
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new FerryError('IO_ERROR', `cannot read policy ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, { file: path }, { cause: error });
  }
}

/** The position of a path in the file, as `:line:column`, for key errors found after the schema check. */
function at(content: YamlContent, path: readonly PropertyKey[]): string {
  const where = content.position(path);
  return where ? `:${where.line}:${where.column}` : '';
}

/** Parses one trusted key: inline PEM (a public key only) or a `.pub` file, relative to the policy's folder. */
async function parseKey(text: string, policyPath: string, where: string, name: string): Promise<KeyObject> {
  const problem = (message: string): FerryError => new FerryError('INVALID_CONTENT', `${policyPath}${where}: trusted key "${name}": ${message}`, { file: policyPath, key: name });
  const trimmed = text.trim();
  if (isInlinePem(trimmed)) {
    if (!/^-----BEGIN PUBLIC KEY-----/.test(trimmed)) throw problem('publicKey must be a public key (-----BEGIN PUBLIC KEY-----), never a private key');
    try {
      return createPublicKey({ key: trimmed, format: 'pem' });
    } catch (error) {
      throw problem(`publicKey is not a readable PEM public key (${error instanceof Error ? error.message : String(error)})`);
    }
  }
  const file = isAbsolute(trimmed) ? trimmed : join(dirname(policyPath), trimmed);
  try {
    return await readPublicKeyFile(file);
  } catch (error) {
    throw problem(error instanceof Error ? error.message : String(error));
  }
}

/** True when a trustedKeys entry's publicKey is the PEM itself rather than the path of a .pub file. */
function isInlinePem(publicKey: string): boolean {
  return publicKey.trim().startsWith('-----BEGIN');
}

/**
 * The policy's digest, what approvals name and the audit log records: the
 * sha256 of the file's exact bytes when every key is written inline (so
 * `sha256sum policy.yaml` gives it), else of those bytes followed by one line
 * `# key NAME sha256:<fingerprint>` per key given as a .pub path, in order.
 * Replacing a .pub file beside the policy changes who is trusted, so it must
 * change the digest too.
 */
function policyDigest(bytes: Buffer, fileKeyLines: readonly string[]): string {
  return sha256Digest(fileKeyLines.length === 0 ? bytes : Buffer.concat([bytes, Buffer.from(fileKeyLines.join(''), 'utf8')]));
}

/** Parses policy text (the file's exact bytes): syntax, schema, keys. Exported for the app's Settings editor, which checks before it saves. */
export async function parseSitePolicy(bytes: Buffer, path: string): Promise<SitePolicy> {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new FerryError('INVALID_CONTENT', `${path}: the policy is not UTF-8 text`, { file: path });
  }
  const content = readYaml(text, path);
  const document = checkContent(SitePolicySchema, content.value ?? {}, { file: path, subject: 'the policy', position: content.position });
  const trustedKeys: PolicyKey[] = [];
  const fileKeyLines: string[] = [];
  const seen = new Map<string, string>();
  for (const [i, key] of document.trustedKeys.entries()) {
    const where = at(content, ['trustedKeys', i, 'publicKey']);
    const publicKey = await parseKey(key.publicKey, path, where, key.name);
    if (!isInlinePem(key.publicKey)) fileKeyLines.push(`\n# key ${key.name} ${keyFingerprint(publicKey)}`);
    const keyId = keyFingerprint(publicKey);
    const earlier = seen.get(keyId);
    if (earlier !== undefined) {
      throw new FerryError('INVALID_CONTENT', `${path}${where}: trusted key "${key.name}" is the same public key as "${earlier}": list each key once, with one role`, { file: path, key: key.name });
    }
    seen.set(keyId, key.name);
    trustedKeys.push({ name: key.name, role: key.role, keyId, publicKey });
  }
  return {
    path,
    digest: policyDigest(bytes, fileKeyLines),
    trustedKeys,
    require: document.require,
    ...(document.allowedSources !== undefined ? { allowedSources: document.allowedSources } : {}),
    blockedImages: document.blockedImages,
    ...(document.allowedTargets !== undefined ? { allowedTargets: document.allowedTargets } : {}),
    overwriteTags: document.overwriteTags,
    ...(document.maxAge !== undefined ? { maxAge: { text: document.maxAge, ms: maxAgeMs(document.maxAge) } } : {}),
    requireImageSignatures: document.requireImageSignatures,
  };
}

/**
 * Reads the site policy. `named` (from `--policy FILE` or a caller) must
 * exist; without it the default file beside the catalog is read when it
 * exists, and undefined means the site has no policy (behaviour as before).
 */
export async function readSitePolicy(named: string | undefined, catalogPath?: string): Promise<SitePolicy | undefined> {
  const path = named ?? defaultPolicyPath(catalogPath);
  const bytes = await readPolicyBytes(path);
  if (bytes === undefined) {
    if (named === undefined) return undefined;
    throw new FerryError('INVALID_ARGUMENT', `cannot read policy ${path}: there is no such file`, { file: path, argument: 'policy' });
  }
  return parseSitePolicy(bytes, path);
}
