/**
 * What "the same result" means for the reliability loops, measured without
 * Ferry's own code: a bundle folder as the sha256 of every file it holds, and
 * a registry as the manifest digest every tag of every repository points at.
 */
import { createHash } from 'node:crypto';
import { lstat, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Tar blocks are 512 bytes; a ustar header's mtime is bytes 136–147 and its checksum 148–155. */
const BLOCK = 512;
const MTIME_START = 136;
const CHECKSUM_END = 156;

/** ferry.json fields that name one export rather than its content (see docs/reliability.md). */
export const EXPORT_IDENTITY_FIELDS = ['bundleId', 'created'] as const;

/** A bundle folder: every file's sha256 by relative path, and ferry.json without the export's identity. */
export interface BundleFingerprint {
  /** Relative path → sha256 (archive parts: of the bytes with each tar header's mtime and checksum zeroed). */
  files: Map<string, string>;
  /** Relative path → what it is when it is not a regular file. */
  odd: Map<string, string>;
  /** ferry.json with bundleId, created and the parts' sha256 taken out; undefined when there is none. */
  ferry: string | undefined;
  bundleId: string | undefined;
  created: string | undefined;
  /** For the archive form: every tar header's mtime equals `created` (the resumed run kept the first run's). */
  mtimesMatchCreated: boolean;
}

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

async function walk(dir: string, prefix = ''): Promise<Array<{ path: string; kind: string }>> {
  const out: Array<{ path: string; kind: string }> = [];
  for (const entry of (await readdir(join(dir, prefix), { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    const path = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...(await walk(dir, path)));
    else out.push({ path, kind: entry.isFile() ? 'file' : entry.isSymbolicLink() ? 'symlink' : 'special' });
  }
  return out;
}

/** Zeroes mtime and checksum of every tar header in a whole tar stream; returns the mtimes it saw. */
function normaliseTar(stream: Buffer): number[] {
  const mtimes: number[] = [];
  let at = 0;
  while (at + BLOCK <= stream.length) {
    const header = stream.subarray(at, at + BLOCK);
    if (header.every((byte) => byte === 0)) break;
    const size = parseInt(header.subarray(124, 136).toString('latin1').replace(/\0.*$/, '').trim() || '0', 8);
    mtimes.push(parseInt(header.subarray(MTIME_START, 148).toString('latin1').replace(/\0.*$/, '').trim() || '0', 8));
    header.fill(0, MTIME_START, CHECKSUM_END);
    at += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
  }
  return mtimes;
}

/** Reads a bundle folder (either form) into its fingerprint. */
export async function fingerprintBundle(dir: string): Promise<BundleFingerprint> {
  const entries = await walk(dir);
  const files = new Map<string, string>();
  const odd = new Map<string, string>();
  let ferry: string | undefined;
  let bundleId: string | undefined;
  let created: string | undefined;
  let parts: Array<{ name: string; size: number }> = [];
  const ferryEntry = entries.find((e) => e.path === 'ferry.json' && e.kind === 'file');
  if (ferryEntry) {
    const parsed = JSON.parse(await readFile(join(dir, 'ferry.json'), 'utf8')) as Record<string, unknown> & { parts?: Array<{ name: string; size: number; sha256?: string }> };
    bundleId = typeof parsed.bundleId === 'string' ? parsed.bundleId : undefined;
    created = typeof parsed.created === 'string' ? parsed.created : undefined;
    for (const field of EXPORT_IDENTITY_FIELDS) parsed[field] = '(export identity)';
    parts = (parsed.parts ?? []).map(({ name, size }) => ({ name, size }));
    parsed.parts = parts;
    ferry = JSON.stringify(parsed);
  }
  const partNames = new Set(parts.map((p) => p.name));
  for (const entry of entries) {
    if (entry.kind !== 'file') odd.set(entry.path, entry.kind);
    else if (entry.path !== 'ferry.json' && !partNames.has(entry.path)) files.set(entry.path, sha256(await readFile(join(dir, entry.path))));
  }
  let mtimesMatchCreated = true;
  if (parts.length > 0 && parts.every((p) => entries.some((e) => e.path === p.name && e.kind === 'file'))) {
    const stream = Buffer.concat(await Promise.all(parts.map((p) => readFile(join(dir, p.name)))));
    const mtimes = normaliseTar(stream);
    const expected = created === undefined ? Number.NaN : Math.floor(Date.parse(created) / 1000);
    mtimesMatchCreated = mtimes.every((m) => m === expected);
    let offset = 0;
    for (const part of parts) {
      files.set(part.name, sha256(stream.subarray(offset, offset + part.size)));
      offset += part.size;
    }
  }
  return { files, odd, ferry, bundleId, created, mtimesMatchCreated };
}

/** What differs between a bundle and the reference, in words; empty when they are the same. */
export function bundleDifferences(reference: BundleFingerprint, candidate: BundleFingerprint): string[] {
  const out: string[] = [];
  for (const [path, hash] of reference.files) {
    const other = candidate.files.get(path);
    if (other === undefined) out.push(`${path} missing`);
    else if (other !== hash) out.push(`${path} differs`);
  }
  for (const path of candidate.files.keys()) if (!reference.files.has(path)) out.push(`${path} extra`);
  for (const [path, kind] of candidate.odd) out.push(`${path} is a ${kind}`);
  if (reference.ferry !== candidate.ferry) out.push(candidate.ferry === undefined ? 'ferry.json missing' : 'ferry.json differs beyond bundleId/created');
  if (!candidate.mtimesMatchCreated) out.push("tar header mtimes are not the bundle's created time");
  return out;
}

/** Every manifest media type, so a HEAD answers with the stored manifest's own digest. */
const ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

/** `repository:tag` → manifest digest for every repository under `prefix/` of a plain-HTTP registry (or proxy), with the prefix taken off. */
export async function registryContent(registryUrl: string, prefix: string, headers: Record<string, string> = {}): Promise<Map<string, string>> {
  const listing = (await (await fetch(`${registryUrl}/v2/_catalog?n=1000`, { headers })).json()) as { repositories?: string[] };
  const content = new Map<string, string>();
  for (const repository of (listing.repositories ?? []).filter((r) => r.startsWith(`${prefix}/`)).sort()) {
    const tags = (await (await fetch(`${registryUrl}/v2/${repository}/tags/list`, { headers })).json()) as { tags?: string[] | null };
    for (const tag of [...(tags.tags ?? [])].sort()) {
      const head = await fetch(`${registryUrl}/v2/${repository}/manifests/${tag}`, { method: 'HEAD', headers: { ...headers, accept: ACCEPT } });
      content.set(`${repository.slice(prefix.length + 1)}:${tag}`, head.headers.get('docker-content-digest') ?? `(HEAD ${head.status})`);
    }
  }
  return content;
}

/** What differs between two registry contents, in words. */
export function contentDifferences(reference: Map<string, string>, candidate: Map<string, string>): string[] {
  const out: string[] = [];
  for (const [tag, digest] of reference) if (candidate.get(tag) !== digest) out.push(`${tag}: ${candidate.get(tag) ?? 'missing'}`);
  for (const tag of candidate.keys()) if (!reference.has(tag)) out.push(`${tag}: extra`);
  return out;
}

/** Bytes under a folder (regular files only), to place a kill point: how far the export had got. */
export async function bytesUnder(dir: string): Promise<number> {
  let total = 0;
  const entries = await walk(dir).catch(() => []);
  for (const entry of entries) if (entry.kind === 'file') total += (await lstat(join(dir, entry.path))).size;
  return total;
}
