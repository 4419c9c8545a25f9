/**
 * The officer's calls as the contract's adapter (issue 14): review a bundle
 * for a target (the trust-review use case), approve or reject it with a key
 * (the approve use case, as `ferry approve` / `ferry reject`), read and save
 * the site policy (the Settings editor; checked by the reader import uses),
 * list the local signing keys. Untrusted arguments are checked here.
 *
 * The passphrase of `bundle:decide` lives in the checked input for the one
 * call: it is never logged, stored, put into an error or sent back.
 */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { DecisionInput, PolicyDocument, ReviewInput, ReviewReport, SignatureFinding, SigningKeyInfo } from '../../src-shared/api/contract.ts';
import { FerryError } from '../../src-shared/errors.ts';
import { writeFileDurable } from '../base/durable-write.ts';
import { YAML_MAX_BYTES } from '../base/yaml-read.ts';
import { sha256Digest } from '../oci/digest.ts';
import { defaultPolicyPath, parseSitePolicy, readPolicyBytes } from '../trust/policy.ts';
import { decideBundle } from '../usecases/approve.ts';
import type { Catalog } from '../usecases/catalog.ts';
import { listKeys } from '../usecases/keys.ts';
import { notePolicyDigest, reviewBundle } from '../usecases/trust-review.ts';
import type { VerifiedBundles } from '../usecases/verify.ts';
import { argsObject, optionalString, requireString, settingsFrom, type SavedLogin } from './access.ts';
import { maxNestedPathsArg } from './registries.ts';

/** Checks the input of bundle:review. */
export function reviewInput(raw: unknown): ReviewInput {
  const args = argsObject(raw);
  const input: ReviewInput = { bundle: requireString(args, 'bundle'), target: requireString(args, 'target') };
  if (args.keepRegistryHost === true) input.keepRegistryHost = true;
  const maxNestedPaths = maxNestedPathsArg(args);
  if (maxNestedPaths !== undefined) input.maxNestedPaths = maxNestedPaths;
  if (args.registry !== undefined) input.registry = args.registry as ReviewInput['registry'];
  return input;
}

/** Checks the input of bundle:decide: a rejection needs a note; the passphrase is required but never echoed. */
export function decisionInput(raw: unknown): DecisionInput {
  const args = argsObject(raw);
  const decision = args.decision;
  if (decision !== 'approve' && decision !== 'reject') throw new FerryError('INVALID_ARGUMENT', 'decision must be "approve" or "reject"', { argument: 'decision' });
  const passphrase = args.passphrase;
  if (typeof passphrase !== 'string' || passphrase === '') throw new FerryError('INVALID_ARGUMENT', "type the key's passphrase", { argument: 'passphrase' });
  const input: DecisionInput = { bundle: requireString(args, 'bundle'), decision, key: requireString(args, 'key').trim(), passphrase };
  const note = optionalString(args, 'note')?.trim();
  if (note !== undefined && note !== '') input.note = note;
  if (decision === 'reject' && input.note === undefined) throw new FerryError('INVALID_ARGUMENT', 'a rejection needs a note saying why', { argument: 'note' });
  if (args.allowRollback === true) input.allowRollback = true;
  return input;
}

/**
 * bundle:review — the review use case over the verified view (the wizard's
 * last verification while the folder still holds that bundle, else verified
 * now; a bundle that fails is refused naming the failed checks). The target
 * registry is only asked with HEAD.
 */
export async function reviewBundleFor(raw: unknown, verified: VerifiedBundles, catalog: () => Catalog, savedLogin?: SavedLogin): Promise<ReviewReport> {
  const input = reviewInput(raw);
  const view = await verified.view(input.bundle, 'it cannot be reviewed');
  const placement = { target: input.target, keepRegistryHost: input.keepRegistryHost === true, ...(input.maxNestedPaths !== undefined ? { maxNestedPaths: input.maxNestedPaths } : {}) };
  return reviewBundle(view, { ...placement, registry: settingsFrom(input.registry, savedLogin) }, catalog());
}

/** bundle:decide — the approve use case (`ferry approve` / `ferry reject`): verifies the bundle, signs the decision, writes it beside ferry.json, records it in the audit log. */
export async function decideOnBundle(raw: unknown, catalog: () => Catalog): Promise<SignatureFinding> {
  return decideBundle(decisionInput(raw), catalog());
}

/** keys:list — the local keys folder's keys, names and fingerprints only. */
export async function signingKeys(): Promise<SigningKeyInfo[]> {
  return (await listKeys()).map((key) => ({ name: key.name, algorithm: key.algorithm, fingerprint: key.fingerprint, canSign: key.privateKeyPath !== undefined }));
}

/**
 * The digest approvals name for these policy bytes: the loaded policy's (which
 * covers keys kept in .pub files, trust/policy.ts), or for a file that does not
 * load, the plain digest of its bytes, so the editor still shows one.
 */
async function digestOf(bytes: Buffer, path: string): Promise<string> {
  return (await parseSitePolicy(bytes, path).catch(() => undefined))?.digest ?? sha256Digest(bytes);
}

/** The document the editor shows for these bytes. */
async function policyDocument(path: string, bytes: Buffer | undefined): Promise<PolicyDocument> {
  return bytes === undefined ? { path, text: null, digest: null } : { path, text: bytes.toString('utf8'), digest: await digestOf(bytes, path) };
}

/** policy:get — the site policy beside the catalog, as text (null text: the site has none). */
export async function readPolicy(catalogPath: string): Promise<PolicyDocument> {
  const path = defaultPolicyPath(catalogPath);
  return policyDocument(path, await readPolicyBytes(path));
}

/**
 * policy:save — the text is checked exactly as import will read it (YAML,
 * schema, every trusted key parsed), so a policy that saves is one that
 * loads; then written durably, and the change (old and new digest) appended
 * to the catalog's audit log. An unchanged text is not written again.
 */
export async function savePolicy(catalogPath: string, raw: unknown, catalog: () => Catalog): Promise<PolicyDocument> {
  const text = argsObject(raw).text;
  if (typeof text !== 'string') throw new FerryError('INVALID_ARGUMENT', 'text must be the policy as a string', { argument: 'text' });
  const path = defaultPolicyPath(catalogPath);
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length > YAML_MAX_BYTES) throw new FerryError('INVALID_CONTENT', `the policy is ${bytes.length} bytes, more than the ${YAML_MAX_BYTES} bytes a policy may have`, { file: path });
  const policy = await parseSitePolicy(bytes, path);
  const before = await readPolicyBytes(path);
  const previous = before === undefined ? null : await digestOf(before, path);
  if (previous === policy.digest) return policyDocument(path, bytes);
  await mkdir(dirname(path), { recursive: true });
  await writeFileDurable(path, bytes);
  notePolicyDigest(catalog(), policy);
  return policyDocument(path, bytes);
}
