/**
 * The officer's calls as the contract's adapter (issue 14): read and save the
 * site policy (the Settings editor) and list the local signing keys (the
 * Review step's key choice). Untrusted arguments are checked here; the policy
 * is checked by the same reader import uses (trust/policy.ts).
 */
import { open, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { PolicyDocument, SigningKeyInfo } from '../../src-shared/api/contract.ts';
import { FerryError } from '../../src-shared/errors.ts';
import { writeFileDurable } from '../base/durable-write.ts';
import { YAML_MAX_BYTES } from '../base/yaml-read.ts';
import { sha256Digest } from '../oci/digest.ts';
import { defaultPolicyPath, parseSitePolicy } from '../trust/policy.ts';
import type { Catalog } from '../usecases/catalog.ts';
import { listKeys } from '../usecases/keys.ts';
import { argsObject } from './access.ts';

/** keys:list — the local keys folder's keys, names and fingerprints only. */
export async function signingKeys(): Promise<SigningKeyInfo[]> {
  return (await listKeys()).map((key) => ({ name: key.name, algorithm: key.algorithm, fingerprint: key.fingerprint, canSign: key.privateKeyPath !== undefined }));
}

/** The policy file's exact bytes, within the YAML cap; undefined when there is none. */
async function readPolicyFile(path: string): Promise<Buffer | undefined> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new FerryError('IO_ERROR', `cannot read policy ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, { file: path }, { cause: error });
  }
  try {
    const { size } = await handle.stat();
    if (size > YAML_MAX_BYTES) throw new FerryError('INVALID_CONTENT', `${path} is ${size} bytes, more than the ${YAML_MAX_BYTES} bytes a policy may have`, { file: path, size });
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

/** The document the editor shows for these bytes. */
function policyDocument(path: string, bytes: Buffer | undefined): PolicyDocument {
  return bytes === undefined ? { path, text: null, digest: null } : { path, text: bytes.toString('utf8'), digest: sha256Digest(bytes) };
}

/** policy:get — the site policy beside the catalog, as text (null text: the site has none). */
export async function readPolicy(catalogPath: string): Promise<PolicyDocument> {
  const path = defaultPolicyPath(catalogPath);
  return policyDocument(path, await readPolicyFile(path));
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
  const before = await readPolicyFile(path);
  const previous = before === undefined ? null : sha256Digest(before);
  if (previous === policy.digest) return policyDocument(path, bytes);
  await mkdir(dirname(path), { recursive: true });
  await writeFileDurable(path, bytes);
  catalog().audit('policy.save', path, { digest: policy.digest, previous, trustedKeys: policy.trustedKeys.map((key) => `${key.name} (${key.role})`) });
  return policyDocument(path, bytes);
}
