/**
 * Reads a bundle back from the media and checks every byte against
 * ferry.json: part sizes and sha256s, then every blob's size and digest.
 * `ferry export --verify` runs it right after writing; `ferry verify` builds
 * its fuller report on the same checks.
 */
import { createReadStream } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import tarStream from 'tar-stream';
import { FerryError } from '../../src-shared/errors.ts';
import { parseBundleManifest } from '../../src-shared/bundle-schema.ts';
import { BUNDLE_FILES, type BundleManifest } from '../../src-shared/model/bundle.ts';
import { DigestVerifier } from '../oci/digest.ts';
import { OCI_LAYOUT_CONTENT } from './layout.ts';
import { openPartsStream } from './parts.ts';

/** Tar entry names a bundle may hold (DESIGN.md decision 5); anything else is refused. */
const ALLOWED_ENTRY = /^(oci-layout|index\.json|blobs\/sha256\/[a-f0-9]{64})$/;

/** index.json of even a huge bundle is far below this; more is an attack on the reader's memory. */
const INDEX_LIMIT = 16 * 1024 * 1024;

/** Leftovers a kill can leave beside a finished bundle (the export journal, durable-write temps); they hold nothing a reader uses. */
const TOLERATED_LEFTOVER = /^(\.ferry-export\.json|.+\.tmp-[0-9a-f]+)$/;

/** Checks that index.json names exactly the images ferry.json lists, with the same digests and media types. */
function checkIndex(text: string, manifest: BundleManifest): void {
  let entries: Array<{ digest?: unknown; mediaType?: unknown; annotations?: Record<string, unknown> }>;
  try {
    entries = (JSON.parse(text) as { manifests?: typeof entries }).manifests ?? [];
  } catch {
    throw new FerryError('INVALID_MANIFEST', 'index.json is not valid JSON');
  }
  const key = (name: unknown, digest: unknown, mediaType: unknown): string => `${String(name)}@${String(digest)}:${String(mediaType)}`;
  const inIndex = entries.map((e) => key(e.annotations?.['org.opencontainers.image.ref.name'], e.digest, e.mediaType)).sort();
  const listed = manifest.images.map((i) => key(i.name, i.digest, i.mediaType)).sort();
  if (inIndex.join('\n') !== listed.join('\n')) {
    throw new FerryError('INVALID_MANIFEST', `index.json does not list the images ferry.json lists (${inIndex.length} entries against ${listed.length} images)`, { inIndex, listed });
  }
}

/** Refuses files a bundle folder should not hold: what no reader checks must not be there. */
async function checkNoExtraFiles(dir: string, manifest: BundleManifest): Promise<void> {
  const allowed = manifest.form === 'directory'
    ? new Set<string>([BUNDLE_FILES.ociLayout, BUNDLE_FILES.index, BUNDLE_FILES.manifest, 'blobs'])
    : new Set<string>([BUNDLE_FILES.manifest, ...manifest.parts.map((p) => p.name)]);
  const extra = (await readdir(dir)).filter((name) => !allowed.has(name) && !TOLERATED_LEFTOVER.test(name));
  if (manifest.form === 'directory') {
    const blobs = new Set(manifest.blobs.map((b) => b.digest.slice('sha256:'.length)));
    const algorithms = await readdir(join(dir, 'blobs')).catch(() => [] as string[]);
    extra.push(...algorithms.filter((name) => name !== 'sha256').map((name) => `blobs/${name}`));
    extra.push(...(await readdir(join(dir, 'blobs', 'sha256')).catch(() => [] as string[])).filter((name) => !blobs.has(name)).map((name) => `blobs/sha256/${name}`));
  }
  if (extra.length > 0) throw new FerryError('INVALID_MANIFEST', `${dir} holds files ferry.json does not list: ${extra.slice(0, 5).join(', ')}${extra.length > 5 ? ', …' : ''}`, { extra });
}

/** What the read-back covered. */
export interface ReadBackResult {
  manifest: BundleManifest;
  blobs: number;
  bytes: number;
}

/** Reads and schema-checks ferry.json; a missing one means an unfinished export. */
export async function readBundleManifest(dir: string): Promise<BundleManifest> {
  const path = join(dir, BUNDLE_FILES.manifest);
  const text = await readFile(path, 'utf8').catch((error: unknown) => {
    const code = (error as NodeJS.ErrnoException).code;
    throw new FerryError('INVALID_MANIFEST', code === 'ENOENT' ? `${dir} has no ${BUNDLE_FILES.manifest}: it is not a finished bundle (an export may have stopped early; run it again to finish)` : `cannot read ${path}: ${code ?? String(error)}`, { path });
  });
  return parseBundleManifest(text, path);
}

/** Checks every byte of a bundle against its ferry.json; throws naming the first part or blob that is wrong. */
export async function readBack(dir: string, onBytes?: (bytes: number) => void, signal?: AbortSignal): Promise<ReadBackResult> {
  const manifest = await readBundleManifest(dir);
  await checkNoExtraFiles(dir, manifest);
  const expected = new Map(manifest.blobs.map((blob) => [blob.digest.slice('sha256:'.length), blob]));
  let bytes = 0;
  if (manifest.form === 'directory') {
    const layoutText = await readFile(join(dir, BUNDLE_FILES.ociLayout), 'utf8').catch(() => undefined);
    if (layoutText !== OCI_LAYOUT_CONTENT) throw new FerryError('INVALID_MANIFEST', `${join(dir, BUNDLE_FILES.ociLayout)} is missing or not an OCI layout version 1.0.0 marker`);
    const indexText = await readFile(join(dir, BUNDLE_FILES.index), 'utf8').catch(() => {
      throw new FerryError('IO_ERROR', `${join(dir, BUNDLE_FILES.index)} is missing`, { path: join(dir, BUNDLE_FILES.index) });
    });
    checkIndex(indexText, manifest);
    for (const blob of manifest.blobs) {
      signal?.throwIfAborted();
      const path = join(dir, 'blobs', 'sha256', blob.digest.slice('sha256:'.length));
      const verifier = new DigestVerifier(blob.digest, blob.size, `blob ${blob.digest} (${path})`);
      try {
        for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) {
          verifier.update(chunk as Buffer);
          onBytes?.((chunk as Buffer).length);
        }
      } catch (error) {
        if (error instanceof FerryError) throw error;
        throw new FerryError('IO_ERROR', `blob ${blob.digest} is missing or unreadable (${path})`, { digest: blob.digest, path });
      }
      verifier.finish();
      bytes += blob.size;
    }
    return { manifest, blobs: manifest.blobs.length, bytes };
  }
  const seen = new Set<string>();
  const extract = tarStream.extract();
  const done = (async () => {
    for await (const entry of extract) {
      const name = entry.header.name;
      if (entry.header.type !== 'file' || !ALLOWED_ENTRY.test(name)) throw new FerryError('INVALID_MANIFEST', `the archive holds an entry that is not allowed: "${name}" (${entry.header.type})`, { entry: name });
      if (seen.has(name)) throw new FerryError('INVALID_MANIFEST', `the archive holds "${name}" twice`, { entry: name });
      seen.add(name);
      const blob = name.startsWith('blobs/') ? expected.get(name.slice('blobs/sha256/'.length)) : undefined;
      if (name.startsWith('blobs/') && !blob) throw new FerryError('INVALID_MANIFEST', `the archive holds ${name}, which ferry.json does not list`, { entry: name });
      const verifier = blob ? new DigestVerifier(blob.digest, blob.size, `blob ${blob.digest} in the archive`) : undefined;
      const small: Buffer[] = [];
      for await (const chunk of entry) {
        verifier?.update(chunk as Buffer);
        if (!blob) {
          small.push(chunk as Buffer);
          if (small.length * 65536 > INDEX_LIMIT && Buffer.concat(small).length > INDEX_LIMIT) throw new FerryError('INVALID_MANIFEST', `the archive's ${name} is larger than ${INDEX_LIMIT} bytes`);
        }
        onBytes?.((chunk as Buffer).length);
      }
      verifier?.finish();
      if (name === BUNDLE_FILES.index) checkIndex(Buffer.concat(small).toString('utf8'), manifest);
      if (name === BUNDLE_FILES.ociLayout && Buffer.concat(small).toString('utf8') !== OCI_LAYOUT_CONTENT) throw new FerryError('INVALID_MANIFEST', 'the archive\'s oci-layout is not an OCI layout version 1.0.0 marker');
      if (blob) bytes += blob.size;
    }
  })();
  done.catch(() => undefined);
  try {
    for await (const chunk of openPartsStream(dir, manifest.parts, signal ? { signal } : {})) {
      // Race the entry reader: when it refuses an entry it stops draining, and its error must surface.
      if (!extract.write(chunk)) await Promise.race([new Promise<void>((resolve) => extract.once('drain', () => resolve())), done.then(() => undefined)]);
    }
    extract.end(Buffer.alloc(0));
    await done;
  } catch (error) {
    extract.destroy();
    throw error;
  }
  const missing = [...expected.keys()].filter((hex) => !seen.has(`blobs/sha256/${hex}`));
  if (missing.length > 0) throw new FerryError('INVALID_MANIFEST', `the archive lacks ${missing.length} blob(s) ferry.json lists, e.g. sha256:${missing[0]}`, { missing: missing.length });
  for (const name of [BUNDLE_FILES.ociLayout, BUNDLE_FILES.index]) if (!seen.has(name)) throw new FerryError('INVALID_MANIFEST', `the archive lacks ${name}`);
  return { manifest, blobs: manifest.blobs.length, bytes };
}
