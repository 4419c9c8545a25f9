/**
 * The one copy-and-verify routine (src-main/oci/blob-io.ts) across every
 * source and sink Ferry has: a registry repository, an OCI layout folder and
 * archive tar parts as sources; a registry repository, a layout folder, the
 * archive writer and verify's check as sinks. Each pairing copies intact
 * bytes, and refuses a corrupted byte and a short stream before the sink
 * commits, leaving nothing behind. Real registry, real files: the faults are
 * made in the registry's storage and on disk.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tarStream from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArchiveBlobs } from '../../src-main/bundle/archive-blobs.ts';
import { BlobDirectory } from '../../src-main/bundle/blob-directory.ts';
import { writeArchiveForm } from '../../src-main/bundle/write-archive.ts';
import { CheckingSink, copyBlob, verifiedContent, type BlobRef, type BlobSink, type BlobSource } from '../../src-main/oci/blob-io.ts';
import { sha256Digest } from '../../src-main/oci/digest.ts';
import type { RegistryClient } from '../../src-main/oci/registry/client.ts';
import { Registries } from '../../src-main/oci/registry/registries.ts';
import { RepositoryBlobs } from '../../src-main/oci/registry/repository-blobs.ts';
import { uploadBlob } from '../../src-main/oci/registry/uploads.ts';
import { emptyAuthFile } from '../harness/ferry-access.ts';
import { startRegistry, type RunningRegistry } from '../harness/registry.ts';

type Fault = 'intact' | 'corrupt' | 'short';
type SourceKind = 'registry' | 'layout' | 'archive';
type SinkKind = 'registry' | 'layout' | 'archive' | 'check';

/** Several 1 MiB reads, so the held-back last chunk is not the only one. */
const BLOB_SIZE = 3 * 1024 * 1024 + 123;
const EXPECTED_CODE: Record<Exclude<Fault, 'intact'>, string> = { corrupt: 'DIGEST_MISMATCH', short: 'SIZE_MISMATCH' };

let registry: RunningRegistry | undefined;
let registries: Registries | undefined;
let client: RegistryClient;
let work: string;
let counter = 0;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ferry-blob-io-'));
  const started = await startRegistry({ mode: 'anonymous' });
  registry = started;
  const access = new Registries({ plainHttp: true, tls: { verify: true, caCertFiles: [], certDirs: [] }, authFile: emptyAuthFile });
  registries = access;
  client = await access.client(started.host);
});

afterAll(async () => {
  await registries?.close();
  await registry?.stop();
  await rm(work, { recursive: true, force: true });
});

/** The bytes a faulty source holds instead of the blob: one byte flipped in the middle, or the last 1000 bytes missing. */
function damaged(bytes: Buffer, fault: Fault): Buffer {
  if (fault === 'short') return bytes.subarray(0, bytes.length - 1000);
  const copy = Buffer.from(bytes);
  if (fault === 'corrupt') copy[copy.length >> 1] = (copy[copy.length >> 1] ?? 0) ^ 0xff;
  return copy;
}

/** A fresh blob for one case, so no case sees another's bytes in the registry's shared storage. */
function freshBlob(): { bytes: Buffer; blob: BlobRef } {
  const bytes = randomBytes(BLOB_SIZE);
  return { bytes, blob: { digest: sha256Digest(bytes), size: bytes.length } };
}

/** A registry repository holding the blob, with the fault made in Distribution's storage after the push. */
async function registrySource(bytes: Buffer, blob: BlobRef, fault: Fault): Promise<BlobSource> {
  const repository = `source/case-${(counter += 1)}`;
  await uploadBlob(client, repository, blob, async function* () {
    yield bytes;
  });
  const hex = blob.digest.slice('sha256:'.length);
  if (!registry) throw new Error('the registry did not start');
  await writeFile(join(registry.storageDir, 'docker', 'registry', 'v2', 'blobs', 'sha256', hex.slice(0, 2), hex, 'data'), damaged(bytes, fault));
  return new RepositoryBlobs(client, repository);
}

/** A layout folder holding the (damaged) blob file. */
async function layoutSource(bytes: Buffer, blob: BlobRef, fault: Fault): Promise<BlobSource> {
  const dir = join(work, `layout-source-${(counter += 1)}`);
  const store = new BlobDirectory(dir);
  await mkdir(store.dir, { recursive: true });
  await writeFile(store.path(blob.digest), damaged(bytes, fault));
  return store;
}

/** One archive part whose tar entry holds the (damaged) blob; the part's own sha256 is right, so only the blob check can catch it. */
async function archiveSource(bytes: Buffer, blob: BlobRef, fault: Fault): Promise<ArchiveBlobs> {
  const dir = join(work, `archive-source-${(counter += 1)}`);
  await mkdir(dir);
  const content = damaged(bytes, fault);
  const pack = tarStream.pack();
  pack.entry({ name: `blobs/sha256/${blob.digest.slice('sha256:'.length)}`, size: content.length }, content);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(chunk as Buffer);
  const part = Buffer.concat(chunks);
  await writeFile(join(dir, 'part-000000.tar'), part);
  return new ArchiveBlobs(dir, [{ name: 'part-000000.tar', size: part.length, sha256: createHash('sha256').update(part).digest('hex') }]);
}

/** A sink, a way to copy into it, and what it holds afterwards (true when the blob is there, committed). */
interface SinkCase {
  copy(blob: BlobRef, from: SourceKind, source: BlobSource | ArchiveBlobs): Promise<void>;
  holds(blob: BlobRef): Promise<boolean>;
  /** Files the sink's folder holds, to prove a refused write leaves nothing (a `.partial`, a part). */
  leftovers(): Promise<string[]>;
}

/** copyBlob from either kind of source: an archive is walked, the others opened. */
async function copyFrom(blob: BlobRef, source: BlobSource | ArchiveBlobs, sink: BlobSink): Promise<void> {
  if (source instanceof ArchiveBlobs) {
    const seen = { entries: 0 };
    await source.forEach(async (_entry, stream) => {
      seen.entries += 1;
      await copyBlob(blob, stream, sink, { subject: source.describe(blob) });
    });
    if (seen.entries === 0) throw new Error('the archive had no blob entry');
  } else {
    await copyBlob(blob, source, sink);
  }
}

async function makeSink(kind: SinkKind): Promise<SinkCase> {
  const dir = join(work, `${kind}-sink-${(counter += 1)}`);
  await mkdir(dir);
  switch (kind) {
    case 'registry': {
      const sink = new RepositoryBlobs(client, `sink/case-${counter}`);
      return { copy: (blob, _kind, source) => copyFrom(blob, source, sink), holds: (blob) => sink.has(blob), leftovers: async () => [] };
    }
    case 'layout': {
      const store = new BlobDirectory(dir);
      await store.prepare();
      return { copy: (blob, _kind, source) => copyFrom(blob, source, store), holds: (blob) => store.has(blob), leftovers: () => readdir(store.dir) };
    }
    case 'check': {
      let passed = false;
      return {
        copy: async (blob, _kind, source) => {
          await copyFrom(blob, source, new CheckingSink());
          passed = true;
        },
        holds: async () => passed,
        leftovers: async () => [],
      };
    }
    case 'archive': {
      let parts: string[] = [];
      return {
        copy: async (blob, _kind, source) => {
          if (source instanceof ArchiveBlobs) throw new Error('the archive writer reads a random-access source');
          const written = await writeArchiveForm({
            dir,
            content: [blob],
            indexJson: '{"schemaVersion":2,"manifests":[]}',
            source,
            concurrency: 1,
            report: () => undefined,
            partSize: 1024 ** 3,
            mtime: new Date(0),
            completedParts: [],
            onPartComplete: async () => undefined,
          });
          parts = written.map((part) => part.name);
        },
        holds: async () => parts.length === 1 && (await readdir(dir)).includes('part-000000.tar'),
        leftovers: () => readdir(dir),
      };
    }
  }
}

const SOURCES: Record<SourceKind, (bytes: Buffer, blob: BlobRef, fault: Fault) => Promise<BlobSource | ArchiveBlobs>> = { registry: registrySource, layout: layoutSource, archive: archiveSource };
const PAIRINGS: Array<[SourceKind, SinkKind]> = [
  ['registry', 'registry'],
  ['registry', 'layout'],
  ['registry', 'archive'],
  ['registry', 'check'],
  ['layout', 'registry'],
  ['layout', 'layout'],
  ['layout', 'archive'],
  ['layout', 'check'],
  // The archive writer appends entries in stream order from a random-access source; an archive is only ever read into the others.
  ['archive', 'registry'],
  ['archive', 'layout'],
  ['archive', 'check'],
];

describe.each(PAIRINGS)('copyBlob from %s into %s', (sourceKind, sinkKind) => {
  it('copies intact bytes and commits them', async () => {
    const { bytes, blob } = freshBlob();
    const source = await SOURCES[sourceKind](bytes, blob, 'intact');
    const sink = await makeSink(sinkKind);
    await sink.copy(blob, sourceKind, source);
    expect(await sink.holds(blob)).toBe(true);
  });

  it.each(['corrupt', 'short'] as const)('refuses a %s stream before the sink commits, and leaves nothing behind', async (fault) => {
    const { bytes, blob } = freshBlob();
    const source = await SOURCES[sourceKind](bytes, blob, fault);
    const sink = await makeSink(sinkKind);
    await expect(sink.copy(blob, sourceKind, source)).rejects.toMatchObject({ code: EXPECTED_CODE[fault], message: expect.stringContaining(blob.digest) });
    expect(await sink.holds(blob)).toBe(false);
    expect(await sink.leftovers()).toEqual([]);
  });
});

it.each([
  ['intact', 'resumed'],
  ['corrupt', 'written'],
] as const)('a layout write resumes a .partial by hashing it (%s prefix: %s)', async (fault, outcome) => {
  const { bytes, blob } = freshBlob();
  const source = await layoutSource(bytes, blob, 'intact');
  const store = new BlobDirectory(join(work, `resume-${fault}`));
  await store.prepare();
  await writeFile(`${store.path(blob.digest)}.partial`, damaged(bytes.subarray(0, 1024 * 1024 + 7), fault));
  expect(await store.store(verifiedContent(blob, source))).toBe(outcome);
  expect(Buffer.compare(await readFile(store.path(blob.digest)), bytes)).toBe(0);
  expect(await readdir(store.dir)).toEqual([blob.digest.slice('sha256:'.length)]);
});
