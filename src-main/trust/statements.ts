/**
 * The statements beside a bundle's ferry.json (issue 14, docs/trust.md): the
 * exporter's signature and officers' approvals and rejections, one Sigstore
 * bundle each under `signatures/`, outside the parts, so one can be added on
 * the drive without rewriting the bundle. Reading checks every file with
 * verifyFerryJsonSignature against the keys the caller trusts (the policy's,
 * or the local keys folder without one) and turns each into a
 * SignatureFinding: a file that is unreadable, malformed, signed by an unknown
 * key or over another ferry.json is a finding with `ok: false` and a plain
 * problem, never an error, so one bad file cannot hide the good ones. Files are
 * opened through the safe readers (no symlink, FIFO or device, size capped).
 */
import type { KeyObject } from 'node:crypto';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { FerryError } from '../../src-shared/errors.ts';
import { BUNDLE_FILES, MAX_STATEMENT_FILE_BYTES, MAX_STATEMENT_FILES, STATEMENT_FILE_PATTERN, STATEMENT_FILE_SUFFIX } from '../../src-shared/model/bundle.ts';
import type { KeyRole, SignatureFinding, StatementKind } from '../../src-shared/model/trust.ts';
import { IsoTimeSchema } from '../../src-shared/schemas/bundle-manifest.ts';
import { parseStrictJson } from '../../src-shared/strict-json.ts';
import { DURABLE_TEMP_PATTERN, writeFileDurable } from '../base/durable-write.ts';
import { errnoCode, ioError } from '../base/fs-errors.ts';
import { entryKind, KIND_WORDS, listBundleFolder, safeFileProblem, shown } from '../base/safe-file.ts';
import { readBundleFileIfPresent } from '../base/safe-read.ts';
import { APPROVAL_PREDICATE_TYPE, FERRY_JSON_PREDICATE_TYPE, verifyFerryJsonSignature, type VerifiedFerrySignature } from './bundle-signature.ts';
import { checkKeyName, KEY_NAME_PATTERN, keyFingerprint, PUBLIC_KEY_SUFFIX, readPublicKeyFile } from './keys.ts';

/** A public key a reader trusts: its id (the SPKI fingerprint signatures name), its name, its role in the policy if any. */
export interface KnownKey {
  keyId: string;
  name: string;
  /** Absent without a policy (the local keys folder) or for a key the policy lists without a role. */
  role?: KeyRole;
  publicKey: KeyObject;
}

/** The middle of an approval or rejection file's name: `<key>-<fp>.approval.sigstore.json` (one decision per key, the later replacing the earlier). */
const DECISION_INFIX = '.approval';

/**
 * The file name a statement is written under in `signatures/`:
 * `<key>-<fp>.sigstore.json` for the exporter's signature and
 * `<key>-<fp>.approval.sigstore.json` for an approval or a rejection, where
 * `<fp>` is the first 16 hex digits of the key's fingerprint. One decision per
 * key: a new one replaces that key's old one, and never another key's, even
 * when two people named their keys alike (an approval by one "officer" must
 * not erase a rejection by another). Refuses a key name that is not a plain
 * file name.
 */
export function statementFileName(keyName: string, kind: StatementKind, keyId: string): string {
  checkKeyName(keyName);
  const hex = /^sha256:([a-f0-9]{64})$/.exec(keyId)?.[1];
  if (hex === undefined) throw new FerryError('INVALID_ARGUMENT', `key id ${JSON.stringify(keyId)} is not a key fingerprint (sha256: and 64 hex digits)`, { keyId });
  return `${keyName}-${hex.slice(0, 16)}${kind === 'export' ? '' : DECISION_INFIX}${STATEMENT_FILE_SUFFIX}`;
}

/**
 * Writes one statement (a serialized Sigstore bundle) to `signatures/<fileName>`
 * beside ferry.json, durably (temp file, fsync, rename), replacing a statement of
 * that name. Refuses a name that is not a statement file name and a `signatures`
 * that is not a real folder (a symlink would have the write land elsewhere).
 * Returns the file's path relative to the bundle (`signatures/<fileName>`).
 */
export async function writeStatement(bundleDir: string, fileName: string, serialized: string): Promise<string> {
  if (!STATEMENT_FILE_PATTERN.test(fileName)) {
    throw new FerryError('INVALID_ARGUMENT', `${JSON.stringify(fileName)} is not a statement file name (<name>${STATEMENT_FILE_SUFFIX})`, { fileName });
  }
  if (Buffer.byteLength(serialized) > MAX_STATEMENT_FILE_BYTES) {
    throw new FerryError('INVALID_ARGUMENT', `the statement for ${fileName} is larger than a statement may be (${MAX_STATEMENT_FILE_BYTES} bytes)`, { fileName });
  }
  const folder = BUNDLE_FILES.signatures;
  const found = await entryKind(bundleDir, folder, { code: 'INVALID_ARGUMENT' });
  if (found !== undefined && found.kind !== 'directory') {
    throw new FerryError('INVALID_ARGUMENT', `${join(bundleDir, folder)} is ${KIND_WORDS[found.kind]}, not a folder: no statement is written through it`, { path: join(bundleDir, folder) });
  }
  const dir = join(bundleDir, folder);
  if (found === undefined) {
    try {
      await mkdir(dir);
    } catch (error) {
      if (errnoCode(error) !== 'EEXIST') throw ioError('create folder', dir, error);
    }
  }
  // Checked again after creating it: the folder must still be a real one (not swapped for a symlink meanwhile).
  const again = await entryKind(bundleDir, folder, { code: 'INVALID_ARGUMENT' });
  if (again?.kind !== 'directory') throw new FerryError('INVALID_ARGUMENT', `${dir} is not a real folder: no statement is written through it`, { path: dir });
  const existing = await entryKind(bundleDir, `${folder}/${fileName}`, { code: 'INVALID_ARGUMENT' });
  if (existing !== undefined && existing.kind !== 'file') {
    throw new FerryError('INVALID_ARGUMENT', `${join(dir, fileName)} is ${KIND_WORDS[existing.kind]}, not a statement file: it is not replaced`, { path: join(dir, fileName) });
  }
  await writeFileDurable(join(dir, fileName), serialized);
  return `${folder}/${fileName}`;
}

/** An approval or rejection predicate as read: extra fields are ignored, the known ones must have their types. */
const decisionSchema = z.object({
  decision: z.enum(['approve', 'reject']),
  reviewer: z.string().max(4096).optional(),
  time: IsoTimeSchema.optional(),
  note: z.string().max(16384).nullable().optional(),
  policyDigest: z.string().max(256).nullable().optional(),
  allowRollback: z.boolean().optional(),
});

/** The key id a Sigstore bundle's verification material names, read from the (unverified) JSON only to say whose signature failed. */
function claimedKeyId(json: unknown): string {
  const material = (json as { verificationMaterial?: { publicKey?: { hint?: unknown } } } | null)?.verificationMaterial;
  const hint = material?.publicKey?.hint;
  return typeof hint === 'string' && hint.length <= 200 ? hint : '';
}

/** The plain message of an error, for a finding's problem. */
function problemOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A verified statement's findings: its kind from the predicate type (and decision), the decision's fields. */
function describeVerified(finding: SignatureFinding, verified: VerifiedFerrySignature): SignatureFinding {
  if (verified.predicateType === FERRY_JSON_PREDICATE_TYPE) return { ...finding, kind: 'export', ok: true };
  if (verified.predicateType !== APPROVAL_PREDICATE_TYPE) {
    return { ...finding, ok: false, problem: `the statement's predicate type ${JSON.stringify(verified.predicateType).slice(0, 200)} is not one Ferry knows` };
  }
  const parsed = decisionSchema.safeParse(verified.predicate);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ...finding, ok: false, problem: `the approval's predicate is not one Ferry accepts: ${issue ? `${issue.path.join('.') || '$'}: ${issue.message}` : 'invalid'}` };
  }
  const decision = parsed.data;
  const out: SignatureFinding = { ...finding, kind: decision.decision === 'approve' ? 'approval' : 'rejection', ok: true };
  if (decision.reviewer !== undefined) out.reviewer = decision.reviewer;
  if (decision.time !== undefined) out.time = decision.time;
  if (decision.note !== undefined && decision.note !== null) out.note = decision.note;
  if (decision.policyDigest !== undefined && decision.policyDigest !== null) out.policyDigest = decision.policyDigest;
  if (decision.allowRollback !== undefined) out.allowRollback = decision.allowRollback;
  return out;
}

/** Adds the key's name and role, when the key is known, to a finding. */
function named(finding: SignatureFinding, byId: ReadonlyMap<string, KnownKey>): SignatureFinding {
  const key = byId.get(finding.keyId);
  if (key === undefined) return finding;
  return { ...finding, keyName: key.name, ...(key.role !== undefined ? { role: key.role } : {}) };
}

/** Reads and checks one statement file; every failure is the finding's problem. Throws only when cancelled. */
async function readOne(
  bundleDir: string,
  file: string,
  ferryJson: Buffer,
  byId: ReadonlyMap<string, KnownKey>,
  trusted: ReadonlyMap<string, KeyObject>,
  signal?: AbortSignal,
): Promise<SignatureFinding | undefined> {
  let bytes: Buffer | undefined;
  try {
    bytes = await readBundleFileIfPresent(bundleDir, file, { limit: MAX_STATEMENT_FILE_BYTES, what: file, ...(signal ? { signal } : {}) });
  } catch (error) {
    if (safeFileProblem(error) === 'cancelled') throw error;
    return { file, keyId: '', ok: false, problem: problemOf(error) };
  }
  if (bytes === undefined) return undefined; // removed since the listing
  let json: unknown;
  try {
    json = parseStrictJson(bytes, { file, maxBytes: MAX_STATEMENT_FILE_BYTES, code: 'BUNDLE_INVALID' });
  } catch (error) {
    return { file, keyId: '', ok: false, problem: problemOf(error) };
  }
  const finding = named({ file, keyId: claimedKeyId(json), ok: false }, byId);
  try {
    const verified = verifyFerryJsonSignature(json, ferryJson, trusted);
    return describeVerified(named({ ...finding, keyId: verified.keyId }, byId), verified);
  } catch (error) {
    return { ...finding, problem: problemOf(error) };
  }
}

/**
 * Every statement under `signatures/` beside ferry.json, each verified against
 * `ferryJson` (the exact bytes verification read) with `keys`: what it says and
 * who signed it, or why it does not count. A bundle without the folder has
 * none. The folder itself being unreadable (a symlink, say) is one finding
 * naming it. Never throws for what is on the media; only CANCELLED.
 */
export async function readStatements(bundleDir: string, ferryJson: Buffer, keys: readonly KnownKey[], signal?: AbortSignal): Promise<SignatureFinding[]> {
  const folder = BUNDLE_FILES.signatures;
  const byId = new Map(keys.map((key) => [key.keyId, key]));
  const trusted = new Map(keys.map((key) => [key.keyId, key.publicKey]));
  let listed;
  try {
    listed = await listBundleFolder(bundleDir, folder, signal ? { signal } : {});
  } catch (error) {
    if (safeFileProblem(error) === 'cancelled' || !(error instanceof FerryError)) throw error;
    return [{ file: folder, keyId: '', ok: false, problem: error.message }];
  }
  if (listed === undefined) return [];
  const findings: SignatureFinding[] = [];
  const names = listed.filter((entry) => !(DURABLE_TEMP_PATTERN.test(entry.name) && entry.kind === 'file')).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  let read = 0;
  for (const entry of names) {
    const file = `${folder}/${shown(entry.name)}`;
    if (!STATEMENT_FILE_PATTERN.test(entry.name)) {
      findings.push({ file, keyId: '', ok: false, problem: `${file} is not a statement file name (<name>${STATEMENT_FILE_SUFFIX}): it is not read` });
      continue;
    }
    if (entry.kind !== 'file') {
      findings.push({ file, keyId: '', ok: false, problem: `${file} is ${KIND_WORDS[entry.kind]}, not a regular file: it is not read` });
      continue;
    }
    if (read >= MAX_STATEMENT_FILES) {
      findings.push({ file, keyId: '', ok: false, problem: `more than ${MAX_STATEMENT_FILES} statements: ${file} is not read` });
      continue;
    }
    read += 1;
    const finding = await readOne(bundleDir, `${folder}/${entry.name}`, ferryJson, byId, trusted, signal);
    if (finding) findings.push({ ...finding, file });
  }
  return findings;
}

/**
 * The public keys of a local keys folder (`NAME.pub`, as `ferry key generate`
 * writes them) as known keys without a role: what `ferry verify` checks
 * statements with when the site has no policy. A missing folder holds none; a
 * .pub file that is not a public key is skipped (it signs nothing).
 */
export async function localKnownKeys(dir: string): Promise<KnownKey[]> {
  let files: string[];
  try {
    files = await readdir(dir);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT' || errnoCode(error) === 'ENOTDIR') return [];
    throw ioError('read folder', dir, error);
  }
  const keys: KnownKey[] = [];
  for (const file of files.sort()) {
    if (!file.endsWith(PUBLIC_KEY_SUFFIX)) continue;
    const name = file.slice(0, -PUBLIC_KEY_SUFFIX.length);
    if (!KEY_NAME_PATTERN.test(name)) continue;
    const publicKey = await readPublicKeyFile(join(dir, file)).catch(() => undefined);
    if (publicKey !== undefined) keys.push({ keyId: keyFingerprint(publicKey), name, publicKey });
  }
  return keys;
}
