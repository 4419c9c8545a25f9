/**
 * Lets skopeo, the independent tool, copy any image out of a bundle layout.
 * OCI-typed images go straight through `oci:LAYOUT:NAME`. Skopeo 1.9 (Debian
 * 12) does not look up index.json entries of Docker media types, so for those
 * the exact bytes are handed to skopeo through its `dir:` transport instead:
 * a test-side rearrangement of the same files, never a conversion.
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MediaTypes, writeDirLayout, type Content } from './fixture-content.ts';
import { runSkopeo } from './skopeo.ts';

interface IndexEntry {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

async function blob(layout: string, digest: string, mediaType: string): Promise<Content> {
  const data = await readFile(join(layout, 'blobs', 'sha256', digest.slice('sha256:'.length)));
  return { mediaType, digest, size: data.length, data };
}

/** The skopeo source for an image named `name` in a layout: `oci:` when skopeo can read it there, else a `dir:` copy. */
export async function skopeoSourceFor(layout: string, name: string): Promise<string> {
  const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as { manifests: IndexEntry[] };
  const entry = index.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === name);
  if (!entry) throw new Error(`no image named ${name} in ${layout}`);
  if (entry.mediaType === MediaTypes.ociManifest || entry.mediaType === MediaTypes.ociIndex) return `oci:${layout}:${name}`;
  const top = await blob(layout, entry.digest, entry.mediaType);
  const parsed = JSON.parse(top.data.toString()) as { manifests?: IndexEntry[]; config?: IndexEntry; layers?: IndexEntry[] };
  const children = await Promise.all((parsed.manifests ?? []).map((m) => blob(layout, m.digest, m.mediaType)));
  const images = [parsed, ...children.map((c) => JSON.parse(c.data.toString()) as typeof parsed)];
  const blobs = await Promise.all(images.flatMap((m) => [...(m.config ? [m.config] : []), ...(m.layers ?? [])]).map((d) => blob(layout, d.digest, d.mediaType)));
  const dir = await mkdtemp(join(tmpdir(), 'ferry-dir-transport-'));
  await writeDirLayout(dir, top, children, blobs);
  return `dir:${dir}`;
}

/** Copies one image out of a bundle layout into a registry with skopeo, digests preserved. */
export async function skopeoCopyOut(layout: string, name: string, destination: string): Promise<void> {
  await runSkopeo(['copy', '--quiet', '--all', '--preserve-digests', '--dest-tls-verify=false', await skopeoSourceFor(layout, name), destination]);
}
