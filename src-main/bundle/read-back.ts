/**
 * Reads a bundle back from the media and checks every byte against
 * ferry.json: part sizes and sha256s, then every blob's size and digest.
 * `ferry export --verify` runs it right after writing; `ferry verify` builds
 * its fuller report on the same checks.
 */
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import tarStream from 'tar-stream';
import { FerryError } from '../../src-shared/errors.ts';
import { parseBundleManifest } from '../../src-shared/bundle-schema.ts';
import { BUNDLE_FILES, type BundleManifest } from '../../src-shared/model/bundle.ts';
import { DigestVerifier } from '../oci/digest.ts';
import { openPartsStream } from './parts.ts';

/** Tar entry names a bundle may hold (DESIGN.md decision 5); anything else is refused. */
const ALLOWED_ENTRY = /^(oci-layout|index\.json|blobs\/sha256\/[a-f0-9]{64})$/;

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
  const expected = new Map(manifest.blobs.map((blob) => [blob.digest.slice('sha256:'.length), blob]));
  let bytes = 0;
  if (manifest.form === 'directory') {
    for (const name of [BUNDLE_FILES.ociLayout, BUNDLE_FILES.index]) {
      await stat(join(dir, name)).catch(() => {
        throw new FerryError('IO_ERROR', `${join(dir, name)} is missing`, { path: join(dir, name) });
      });
    }
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
      for await (const chunk of entry) {
        verifier?.update(chunk as Buffer);
        onBytes?.((chunk as Buffer).length);
      }
      verifier?.finish();
      if (blob) bytes += blob.size;
    }
  })();
  done.catch(() => undefined);
  try {
    for await (const chunk of openPartsStream(dir, manifest.parts, signal ? { signal } : {})) {
      if (!extract.write(chunk)) await new Promise<void>((resolve) => extract.once('drain', () => resolve()));
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
