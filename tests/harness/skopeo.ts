/**
 * Thin wrappers over skopeo, the independent oracle (DESIGN.md, decision 7):
 * what skopeo sees in a registry is what Ferry must have written there.
 * Always execFile with an argument list; passwords never reach an error message.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import type { RunningRegistry } from './registry.ts';

/** Longest a single skopeo call may run: a few-MB copy on loopback takes seconds, not minutes. */
const SKOPEO_TIMEOUT_MS = 120_000;
/** Enough for any manifest or a verbose error, never a blob. */
const SKOPEO_MAX_BUFFER = 16 * 1024 * 1024;

/** Credentials for one side of a skopeo call; `null` forces anonymous access even when the registry has a user. */
export type SkopeoCreds = { username: string; password: string } | null;

/** A skopeo command failure, with the exit code and stderr (secrets redacted) kept for assertions. */
export class SkopeoError extends Error {
  constructor(
    message: string,
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(message);
    this.name = 'SkopeoError';
  }
}

function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret.length > 0) out = out.split(secret).join('***');
  return out;
}

/** Runs skopeo with the given arguments; `secrets` are scrubbed from any error text. */
export function runSkopeo(args: readonly string[], secrets: readonly string[] = []): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    execFile('skopeo', args, { encoding: 'buffer', timeout: SKOPEO_TIMEOUT_MS, maxBuffer: SKOPEO_MAX_BUFFER }, (error, stdout, stderr) => {
      if (!error) return resolve(stdout);
      const stderrText = redact(stderr.toString('utf8').trim(), secrets);
      const shown = redact(args.join(' '), secrets);
      const code = typeof error.code === 'number' ? error.code : null;
      reject(new SkopeoError(`skopeo ${shown} failed (exit ${code ?? 'signal'}): ${stderrText}`, code, stderrText));
    });
  });
}

/**
 * TLS and credential flags for one side of a call. `prefix` is '' for
 * inspect/delete and 'src-'/'dest-' for copy. Plain-HTTP registries get
 * --tls-verify=false (skopeo's only way to speak HTTP); HTTPS ones get
 * --cert-dir with the per-run CA, so TLS is really verified.
 */
export function skopeoFlags(registry: RunningRegistry, prefix: '' | 'src-' | 'dest-', creds?: SkopeoCreds): { args: string[]; secrets: string[] } {
  const args: string[] = [];
  if (registry.url.startsWith('https:') && registry.certDir) args.push(`--${prefix}cert-dir`, registry.certDir);
  else args.push(`--${prefix}tls-verify=false`);
  const chosen = creds === undefined ? (registry.username !== undefined && registry.password !== undefined ? { username: registry.username, password: registry.password } : null) : creds;
  if (chosen) {
    args.push(`--${prefix}creds`, `${chosen.username}:${chosen.password}`);
    return { args, secrets: [chosen.password] };
  }
  args.push(`--${prefix}no-creds`);
  return { args, secrets: [] };
}

/** `docker://HOST/REPO:TAG` or `docker://HOST/REPO@DIGEST` for an image in this registry. */
export function dockerRef(registry: RunningRegistry, repository: string, tagOrDigest: string): string {
  const sep = tagOrDigest.startsWith('sha256:') ? '@' : ':';
  return `docker://${registry.host}/${repository}${sep}${tagOrDigest}`;
}

/** The raw manifest bytes skopeo reads for `ref` (a docker:// reference into `registry`). */
export async function skopeoInspectRaw(ref: string, registry: RunningRegistry, creds?: SkopeoCreds): Promise<Buffer> {
  const flags = skopeoFlags(registry, '', creds);
  return runSkopeo(['inspect', '--raw', ...flags.args, ref], flags.secrets);
}

/** sha256 digest of the raw manifest as skopeo sees it: the oracle for "what is in the registry". */
export async function skopeoInspectRawDigest(ref: string, registry: RunningRegistry, creds?: SkopeoCreds): Promise<string> {
  const raw = await skopeoInspectRaw(ref, registry, creds);
  return `sha256:${createHash('sha256').update(raw).digest('hex')}`;
}

/** One side of a copy: a registry (with optional override creds) or a local transport string like `oci:DIR:TAG`. */
export interface CopyEndpoint {
  ref: string;
  registry?: RunningRegistry;
  creds?: SkopeoCreds;
}

/** Options for skopeoCopy; the defaults keep digests and every platform, as a mirror copy must. */
export interface SkopeoCopyOptions {
  /** --all: copy every platform of an index; default true. */
  all?: boolean;
  /** --preserve-digests: fail rather than re-encode; default true. */
  preserveDigests?: boolean;
  /** --format for the destination manifest (e.g. 'v2s2'); default none, keep as is. */
  format?: string;
  /** The copy is expected to be refused (a test of access rules): fail at once, without the retry meant for load flakes. */
  expectRefusal?: boolean;
}

/** Copies an image with skopeo, deriving TLS and credential flags from the registries involved. */
export async function skopeoCopy(src: CopyEndpoint, dest: CopyEndpoint, options: SkopeoCopyOptions = {}): Promise<void> {
  const args = ['copy', '--quiet'];
  const secrets: string[] = [];
  if (options.all ?? true) args.push('--all');
  if (options.preserveDigests ?? true) args.push('--preserve-digests');
  if (options.format) args.push('--format', options.format);
  if (src.registry) {
    const f = skopeoFlags(src.registry, 'src-', src.creds);
    args.push(...f.args);
    secrets.push(...f.secrets);
  }
  if (dest.registry) {
    const f = skopeoFlags(dest.registry, 'dest-', dest.creds);
    args.push(...f.args);
    secrets.push(...f.secrets);
  }
  args.push(src.ref, dest.ref);
  try {
    await runSkopeo(args, secrets);
  } catch (first) {
    if (!dest.registry || options.expectRefusal === true) throw first;
    // Seeding under heavy load once saw Distribution refuse a manifest PUT that
    // succeeded on rerun (skopeo then reports "Instructed to preserve digests"):
    // a copy is idempotent, so retry once and keep the evidence in the test log.
    process.stderr.write(`skopeo copy to ${dest.ref} failed, retrying once: ${(first as Error).message}\nregistry log tail:\n${dest.registry.readLog().slice(-4000)}\n`);
    await runSkopeo(args, secrets);
  }
}

/** Deletes a manifest by reference with skopeo (the registry runs with storage.delete.enabled). */
export async function skopeoDelete(ref: string, registry: RunningRegistry, creds?: SkopeoCreds): Promise<void> {
  const flags = skopeoFlags(registry, '', creds);
  await runSkopeo(['delete', ...flags.args, ref], flags.secrets);
}
