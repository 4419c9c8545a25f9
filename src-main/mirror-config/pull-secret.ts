/**
 * Adding the mirror's credentials to a `.dockerconfigjson` pull secret (the
 * cluster's `openshift-config/pull-secret`), as the OpenShift disconnected
 * procedure asks, without losing any other registry's entry.
 * Format: https://kubernetes.io/docs/concepts/configuration/secret/#docker-config-secrets
 *
 * Nothing here ever puts the secret's text in an error: it holds credentials.
 */
import { readFile } from 'node:fs/promises';
import { FerryError } from '../../src-shared/errors.ts';
import { writeFileDurable } from '../base/durable-write.ts';

/** What the mirror registry needs to let the cluster pull. */
export interface PullSecretCredentials {
  username: string;
  password: string;
  email?: string;
}

/** Pull secrets hold passwords: readable by the owner only. */
const SECRET_FILE_MODE = 0o600;

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Sets a key without invoking `__proto__`'s setter, keeping the position of an existing key. */
function setOwn(target: JsonObject, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function parseSecret(existingText: string | undefined): JsonObject {
  if (existingText === undefined || existingText.trim() === '') return { auths: {} };
  let parsed: unknown;
  try {
    parsed = JSON.parse(existingText);
  } catch {
    // No cause attached: JSON.parse's message quotes the text, which holds secrets.
    throw new FerryError('INVALID_CONTENT', 'the pull secret is not valid JSON');
  }
  if (!isObject(parsed)) throw new FerryError('INVALID_CONTENT', 'the pull secret is not a JSON object');
  return parsed;
}

/**
 * Adds or replaces `auths[registry]` with `{ auth: base64(user:pass), email? }`
 * and returns the new text (2-space indented, trailing newline). Every other
 * entry and top-level field keeps its value and order; a replaced entry keeps
 * its position but loses its old fields (a stale identitytoken would win
 * over the new password). `registry` may carry a port and a namespace path,
 * e.g. `mirror.local:5000/ocp`, as the OpenShift docs allow.
 */
export function mergeDockerConfigJson(existingText: string | undefined, registry: string, credentials: PullSecretCredentials): string {
  if (registry.length === 0 || /\s/.test(registry)) {
    throw new FerryError('INVALID_ARGUMENT', 'the registry for the pull secret must be a non-empty host[:port][/path] without spaces');
  }
  if (credentials.username.length === 0 || credentials.username.includes(':')) {
    // Docker splits `auth` at the first ":", so a colon in the user name cannot round-trip.
    throw new FerryError('INVALID_ARGUMENT', 'the registry user name must be non-empty and contain no ":"', { registry });
  }
  const secret = parseSecret(existingText);
  let auths = secret.auths;
  if (auths === undefined) {
    auths = {};
    setOwn(secret, 'auths', auths);
  }
  if (!isObject(auths)) throw new FerryError('INVALID_CONTENT', 'the pull secret\'s "auths" field is not a JSON object');
  const entry: JsonObject = { auth: Buffer.from(`${credentials.username}:${credentials.password}`, 'utf8').toString('base64') };
  if (credentials.email !== undefined) entry.email = credentials.email;
  setOwn(auths, registry, entry);
  return `${JSON.stringify(secret, null, 2)}\n`;
}

function ioError(action: string, path: string, error: unknown): FerryError {
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
  return new FerryError('IO_ERROR', `could not ${action} the pull secret file ${path}${code === undefined ? '' : ` (${code})`}`, { path }, { cause: error });
}

/**
 * Reads a pull secret file, merges the credentials in and replaces the file
 * durably (temp file in the same folder, mode 0600, fsync, rename), so a crash
 * never leaves a half-written secret. A missing file is an IO_ERROR, not a
 * fresh secret: uploading a secret without the cluster's other entries would
 * break every other pull.
 */
export async function mergePullSecretFile(path: string, registry: string, credentials: PullSecretCredentials): Promise<void> {
  await mergePullSecretInto(path, path, registry, credentials);
}

/**
 * The same merge, saved as `to` (which may be `path` itself): the app offers
 * the merged file to save beside the cluster's, leaving the original as it
 * was. Answers the registries the saved secret has logins for (names only).
 */
export async function mergePullSecretInto(path: string, to: string, registry: string, credentials: PullSecretCredentials): Promise<string[]> {
  let existing: string;
  try {
    existing = await readFile(path, 'utf8');
  } catch (error) {
    throw ioError('read', path, error);
  }
  let merged: string;
  try {
    merged = mergeDockerConfigJson(existing, registry, credentials);
  } catch (error) {
    if (error instanceof FerryError) throw new FerryError(error.code, `${error.message} (${path})`, { ...error.details, path });
    throw error;
  }
  try {
    await writeFileDurable(to, merged, { mode: SECRET_FILE_MODE });
  } catch (error) {
    // writeFileDurable wraps the OS error; keep this module's wording, which names its errno code.
    throw ioError('write', to, error instanceof FerryError ? error.cause : error);
  }
  const { auths } = JSON.parse(merged) as { auths: JsonObject };
  return Object.keys(auths);
}
