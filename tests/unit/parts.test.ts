import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tarStream from 'tar-stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openPartsStream, partName, PartWriter, tarLayout, type PartInfo } from '../../src-main/bundle/parts.ts';
import { failure } from '../harness/test-helpers.ts';

/** A small part size that is not a multiple of 512, so tar blocks straddle part boundaries. */
const PART_SIZE = 1024 * 1024 + 17;
const MiB = 1024 * 1024;

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'ferry-parts-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Deterministic pseudo-random bytes (xorshift32), so fixtures are generated, not downloaded. */
function bytes(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');
const blobName = (data: Uint8Array): string => `blobs/sha256/${sha256(data)}`;

/** Packs entries with tar-stream exactly as an exporter would (fixed mtime, so the stream is reproducible). */
async function packTar(entries: Array<{ name: string; data: Buffer }>): Promise<Buffer> {
  const pack = tarStream.pack();
  const collected = collect(pack);
  for (const { name, data } of entries) pack.entry({ name, size: data.length, mtime: new Date(0) }, data);
  pack.finalize();
  return collected;
}

/** The ~10 MiB bundle stream used by most tests; one 3 MiB blob spans several parts. */
function bundleEntries(): Array<{ name: string; data: Buffer }> {
  const blobs = [bytes(3 * MiB + 5, 1), bytes(4 * MiB - 3, 2), bytes(512, 3), bytes(0, 4), bytes(2 * MiB + 700, 5), bytes(333, 6)];
  return [
    { name: 'oci-layout', data: Buffer.from('{"imageLayoutVersion":"1.0.0"}') },
    { name: 'index.json', data: Buffer.from('{"schemaVersion":2,"manifests":[]}') },
    ...blobs.map((data) => ({ name: blobName(data), data })),
  ];
}

/** Feeds `stream` to a writer in chunks of `chunkSize`, awaiting each write. */
async function feed(writer: PartWriter, stream: Buffer, chunkSize: number, stopAfter = Infinity): Promise<void> {
  for (let offset = 0; offset < stream.length && offset < stopAfter; offset += chunkSize) {
    await writer.write(stream.subarray(offset, offset + chunkSize));
  }
}

async function readParts(dir: string, parts: PartInfo[]): Promise<Buffer> {
  return Buffer.concat(await Promise.all(parts.map((part) => readFile(join(dir, part.name)))));
}

/** tar-stream's streams (streamx) yield `unknown`; every chunk they give is a Buffer. */
function asBuffer(chunk: unknown): Buffer {
  if (!Buffer.isBuffer(chunk)) throw new Error('expected a Buffer chunk');
  return chunk;
}

async function collect(source: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of source) chunks.push(asBuffer(chunk));
  return Buffer.concat(chunks);
}

describe('partName', () => {
  it.each([
    [0, 'part-000000.tar'],
    [7, 'part-000007.tar'],
    [999_999, 'part-999999.tar'],
  ])('%i → %s', (index, name) => {
    expect(partName(index)).toBe(name);
  });
  it.each([-1, 1.5, 1_000_000, Number.NaN])('refuses index %s', (index) => {
    expect(() => partName(index)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
  it('sorts in stream order and has no ":"', () => {
    const names = [12, 3, 100, 0].map(partName);
    expect([...names].sort()).toEqual([0, 3, 12, 100].map(partName));
    expect(names.join('')).not.toContain(':');
  });
});

describe('PartWriter', () => {
  it('cuts a ~10 MiB tar stream into parts no bigger than the part size, durably and in order', async () => {
    const stream = await packTar(bundleEntries());
    expect(stream.length).toBeGreaterThan(9 * MiB);
    const journal: PartInfo[][] = [];
    const writer = new PartWriter({
      dir: root,
      partSize: PART_SIZE,
      onPartComplete: async (part, all) => {
        // The part is final on disk before the journal hears of it.
        expect((await stat(join(root, part.name))).size).toBe(part.size);
        journal.push(all);
      },
    });
    // Chunks bigger than a part cross two boundaries at once; odd sizes misalign everything.
    await feed(writer, stream, 2 * PART_SIZE + 12_345);
    const parts = await writer.finish();

    expect(parts.map((part) => part.name)).toEqual(parts.map((_, index) => partName(index)));
    expect(parts.length).toBe(Math.ceil(stream.length / PART_SIZE));
    for (const part of parts.slice(0, -1)) expect(part.size).toBe(PART_SIZE);
    expect(parts.at(-1)?.size).toBeGreaterThan(0);
    expect(parts.at(-1)?.size).toBeLessThanOrEqual(PART_SIZE);
    const onDisk = await readParts(root, parts);
    expect(onDisk.equals(stream)).toBe(true);
    for (const part of parts) expect(part.sha256).toBe(sha256(await readFile(join(root, part.name))));
    expect(journal.map((all) => all.length)).toEqual(parts.map((_, index) => index + 1));
    expect(journal.at(-1)).toEqual(parts);
    expect((await readdir(root)).sort()).toEqual(parts.map((part) => part.name));
  });

  it('round-trips through tar-stream extract reading openPartsStream, blobs spanning parts included', async () => {
    const entries = bundleEntries();
    const writer = new PartWriter({ dir: root, partSize: PART_SIZE });
    await feed(writer, await packTar(entries), 64 * 1024 + 1);
    const parts = await writer.finish();

    const extracted = new Map<string, Buffer>();
    const extract = tarStream.extract();
    const reading = (async () => {
      for await (const entry of extract) extracted.set(entry.header.name, await collect(entry));
    })();
    await pipeline(Readable.from(openPartsStream(root, parts)), extract);
    await reading;
    expect([...extracted.keys()]).toEqual(entries.map((entry) => entry.name));
    for (const { name, data } of entries) expect(extracted.get(name)?.equals(data)).toBe(true);
  });

  it('works as a node Writable at the end of a pipeline', async () => {
    const stream = await packTar(bundleEntries());
    const writer = new PartWriter({ dir: root, partSize: PART_SIZE });
    await pipeline(Readable.from([stream.subarray(0, 5_000_000), stream.subarray(5_000_000)]), writer.asWritable());
    expect((await readParts(root, writer.parts)).equals(stream)).toBe(true);
  });

  it('resumes after a crash: skips the completed parts, rewrites the stale .partial, ends with identical parts', async () => {
    const stream = await packTar(bundleEntries());
    const reference = await mkdtemp(join(tmpdir(), 'ferry-parts-ref-'));
    try {
      const whole = new PartWriter({ dir: reference, partSize: PART_SIZE });
      await feed(whole, stream, 300_000);
      const expected = await whole.finish();

      // First run: the journal keeps 3 parts, then the process "dies" half-way through part 3.
      let journal: PartInfo[] = [];
      const first = new PartWriter({
        dir: root,
        partSize: PART_SIZE,
        onPartComplete: async (_part, all) => {
          journal = all;
        },
      });
      await feed(first, stream, 250_000, 3 * PART_SIZE + 400_000);
      expect(journal.map((part) => part.name)).toEqual([0, 1, 2].map(partName));
      expect(await readdir(root)).toContain('part-000003.tar.partial');
      await first.abort(); // only to close its file handle; a real crash leaves the .partial behind:
      await writeFile(join(root, 'part-000003.tar.partial'), bytes(PART_SIZE + 99, 9));

      const second = new PartWriter({ dir: root, partSize: PART_SIZE, resumeFrom: journal });
      expect(second.resumeOffset).toBe(3 * PART_SIZE);
      await feed(second, stream, 777_777);
      const parts = await second.finish();
      expect(parts).toEqual(expected);
      expect((await readParts(root, parts)).equals(stream)).toBe(true);
      expect((await readdir(root)).sort()).toEqual(parts.map((part) => part.name));
    } finally {
      await rm(reference, { recursive: true, force: true });
    }
  });

  it('writeMany: gathered chunks crossing part boundaries and a resume point give the same parts as one chunk at a time', async () => {
    const stream = await packTar(bundleEntries());
    const reference = await mkdtemp(join(tmpdir(), 'ferry-parts-ref-'));
    try {
      const single = new PartWriter({ dir: reference, partSize: PART_SIZE });
      await feed(single, stream, 65_536);
      const expected = await single.finish();
      // Resumed after two parts, fed in batches of uneven chunks, each batch spanning at least one part boundary.
      const resumeFrom = expected.slice(0, 2);
      for (const part of resumeFrom) await writeFile(join(root, part.name), await readFile(join(reference, part.name)));
      const gathered = new PartWriter({ dir: root, partSize: PART_SIZE, resumeFrom });
      const sizes = [1, 511, 70_000, 3, 400_001, 9];
      let offset = 0;
      for (let batch = 0; offset < stream.length; batch += 1) {
        const chunks: Buffer[] = [];
        for (let i = 0; i < 7 && offset < stream.length; i += 1) {
          const size = sizes[(batch + i) % sizes.length] ?? 1;
          chunks.push(stream.subarray(offset, offset + size));
          offset += size;
        }
        await gathered.writeMany(chunks);
      }
      const parts = await gathered.finish();
      expect(parts).toEqual(expected);
      expect((await readParts(root, parts)).equals(stream)).toBe(true);
    } finally {
      await rm(reference, { recursive: true, force: true });
    }
  });

  it('refuses to resume from parts that are missing or have the wrong size on disk', async () => {
    const stream = await packTar(bundleEntries());
    const first = new PartWriter({ dir: root, partSize: PART_SIZE });
    await feed(first, stream, MiB);
    const parts = (await first.finish()).slice(0, 2);

    await truncate(join(root, 'part-000001.tar'), 100);
    const short = await failure(new PartWriter({ dir: root, partSize: PART_SIZE, resumeFrom: parts }).write(stream));
    expect(short.code).toBe('SIZE_MISMATCH');
    expect(short.message).toContain('part-000001.tar');

    await rm(join(root, 'part-000001.tar'));
    const missing = await failure(new PartWriter({ dir: root, partSize: PART_SIZE, resumeFrom: parts }).finish());
    expect(missing.code).toBe('IO_ERROR');
    expect(missing.message).toContain('part-000001.tar');

    expect(() => new PartWriter({ dir: root, partSize: 1000, resumeFrom: parts })).toThrow(expect.objectContaining({ code: 'INVALID_CONTENT' }));
  });

  it('an empty stream is one empty part; a stream that ends exactly on a boundary makes no empty part', async () => {
    expect(await new PartWriter({ dir: root, partSize: PART_SIZE }).finish()).toEqual([{ name: 'part-000000.tar', size: 0, sha256: sha256(Buffer.alloc(0)) }]);
    const other = await mkdtemp(join(tmpdir(), 'ferry-parts-exact-'));
    try {
      const writer = new PartWriter({ dir: other, partSize: 1000 });
      await writer.write(bytes(1500, 7));
      await writer.write(bytes(500, 8));
      const parts = await writer.finish();
      expect(parts.map((part) => part.size)).toEqual([1000, 1000]);
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });

  it('a failing journal stops the writer and is reported as is', async () => {
    const writer = new PartWriter({
      dir: root,
      partSize: 1000,
      onPartComplete: async () => {
        throw new Error('journal disk full');
      },
    });
    await expect(writer.write(bytes(2500, 3))).rejects.toThrow('journal disk full');
    expect(await readdir(root)).toEqual(['part-000000.tar']);
    expect((await failure(writer.write(bytes(1, 1)))).code).toBe('INTERNAL');
  });
});

describe('openPartsStream', () => {
  let parts: PartInfo[];
  let stream: Buffer;
  beforeEach(async () => {
    stream = bytes(3 * PART_SIZE + 1234, 11);
    const writer = new PartWriter({ dir: root, partSize: PART_SIZE });
    await writer.write(stream);
    parts = await writer.finish();
  });

  it('streams the parts in order as one byte stream', async () => {
    expect((await collect(openPartsStream(root, parts))).equals(stream)).toBe(true);
  });

  it('a part with one byte changed throws DIGEST_MISMATCH naming it; without verify it passes through', async () => {
    const path = join(root, 'part-000001.tar');
    const data = await readFile(path);
    data[4242] = (data[4242] ?? 0) ^ 0x01;
    await writeFile(path, data);
    const error = await failure(collect(openPartsStream(root, parts)));
    expect(error.code).toBe('DIGEST_MISMATCH');
    expect(error.message).toContain('part-000001.tar');
    expect((await collect(openPartsStream(root, parts, { verify: false }))).length).toBe(stream.length);
  });

  it('a truncated part is SIZE_MISMATCH naming it, a missing one IO_ERROR naming it', async () => {
    await truncate(join(root, 'part-000002.tar'), PART_SIZE - 1);
    const short = await failure(collect(openPartsStream(root, parts)));
    expect(short.code).toBe('SIZE_MISMATCH');
    expect(short.message).toContain('part-000002.tar');
    await rm(join(root, 'part-000002.tar'));
    const missing = await failure(collect(openPartsStream(root, parts)));
    expect(missing.code).toBe('IO_ERROR');
    expect(missing.message).toContain('part-000002.tar');
  });

  it('refuses reordered or foreign part names before reading anything', async () => {
    const [a, b, ...rest] = parts;
    if (!a || !b) throw new Error('fixture needs two parts');
    expect((await failure(collect(openPartsStream(root, [b, a, ...rest])))).code).toBe('BUNDLE_INVALID');
    expect((await failure(collect(openPartsStream(root, [{ ...a, name: '../part-000000.tar' }])))).code).toBe('BUNDLE_INVALID');
  });

  it('stops with CANCELLED when the signal aborts', async () => {
    const controller = new AbortController();
    const reading = (async () => {
      for await (const _chunk of openPartsStream(root, parts, { signal: controller.signal })) controller.abort();
    })();
    expect((await failure(reading)).code).toBe('CANCELLED');
  });
});

/** Finds every ustar header in a tar stream by walking it the way a reader does, and reads the size field raw. */
function headerBlocks(tar: Buffer): Array<{ name: string; headerStart: number; sizeField: Buffer }> {
  const found: Array<{ name: string; headerStart: number; sizeField: Buffer }> = [];
  for (let offset = 0; offset + 512 <= tar.length; offset += 512) {
    const block = tar.subarray(offset, offset + 512);
    if (block.subarray(257, 263).toString('latin1') !== 'ustar\0') continue;
    let sum = 8 * 32;
    for (let i = 0; i < 512; i++) if (i < 148 || i >= 156) sum += block[i] ?? 0;
    if (sum !== parseInt(block.subarray(148, 154).toString('latin1'), 8)) continue;
    found.push({ name: block.subarray(0, block.indexOf(0)).toString('latin1'), headerStart: offset, sizeField: block.subarray(124, 136) });
  }
  return found;
}

describe('tarLayout', () => {
  it('matches tar-stream pack byte for byte for mixed sizes, 0 and exactly 512 bytes included', async () => {
    // Fill bytes 0x20 cannot be mistaken for a header, so every ustar block found is a real header.
    const sizes = [0, 1, 511, 512, 513, 1024, 1025, 70_000, 0, 512];
    const entries = [
      { name: 'oci-layout', data: Buffer.alloc(30, 0x20) },
      { name: 'index.json', data: Buffer.alloc(512, 0x20) },
      ...sizes.map((size, index) => ({ name: `blobs/sha256/${sha256(Buffer.from([index]))}`, data: Buffer.alloc(size, 0x20) })),
    ];
    const tar = await packTar(entries);
    const layout = tarLayout(entries.map(({ name, data }) => ({ name, size: data.length })));
    expect(layout.totalSize).toBe(tar.length);
    expect(headerBlocks(tar).map(({ name, headerStart }) => ({ name, headerStart }))).toEqual(layout.offsets.map(({ name, headerStart }) => ({ name, headerStart })));
    for (const [index, offset] of layout.offsets.entries()) {
      expect(offset.dataStart).toBe(offset.headerStart + 512);
      expect(tar.subarray(offset.dataStart, offset.dataStart + offset.size).equals(entries[index]?.data ?? Buffer.alloc(0))).toBe(true);
    }
    // Two zero blocks end the archive; tar-stream adds no record padding after them.
    expect(tar.subarray(tar.length - 1024).equals(Buffer.alloc(1024))).toBe(true);
  });

  it('matches tar-stream for a blob of 8 GiB and more: one header with a base-256 size, no pax', async () => {
    const big = 8 * 1024 ** 3 + 700;
    const entries = [
      { name: 'oci-layout', size: 30 },
      { name: `blobs/sha256/${'a'.repeat(64)}`, size: big },
      { name: 'index.json', size: 512 },
    ];
    const pack = tarStream.pack();
    const headers: Array<{ at: number; block: Buffer }> = [];
    let total = 0;
    const counting = (async () => {
      for await (const item of pack) {
        const chunk = asBuffer(item);
        // tar-stream pushes every header as its own 512-byte buffer; data chunks here are 4 MiB or the small bodies.
        if (chunk.length === 512 && chunk.subarray(257, 263).toString('latin1') === 'ustar\0') headers.push({ at: total, block: chunk });
        total += chunk.length;
      }
    })();
    pack.entry({ name: 'oci-layout', size: 30, mtime: new Date(0) }, Buffer.alloc(30, 0x20));
    const sink = pack.entry({ name: entries[1]?.name ?? '', size: big, mtime: new Date(0) });
    const zeros = Buffer.alloc(4 * MiB);
    for (let left = big; left > 0; left -= zeros.length) {
      if (!sink.write(left >= zeros.length ? zeros : zeros.subarray(0, left))) await once(sink, 'drain');
    }
    sink.end(undefined);
    pack.entry({ name: 'index.json', size: 512, mtime: new Date(0) }, Buffer.alloc(512, 0x20));
    pack.finalize();
    await counting;

    const layout = tarLayout(entries);
    expect(total).toBe(layout.totalSize);
    expect(headers.map((header) => header.at)).toEqual(layout.offsets.map((offset) => offset.headerStart));
    const sizeField = headers[1]?.block.subarray(124, 136);
    expect(sizeField?.[0]).toBe(0x80);
    expect(sizeField?.readUIntBE(6, 6)).toBe(big);
    expect(headers[1]?.block[156]).toBe('0'.charCodeAt(0));
  }, 120_000);

  it('refuses names that would make tar-stream write a pax header', () => {
    expect(() => tarLayout([{ name: `blobs/sha256/${'é'.repeat(3)}`, size: 1 }])).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => tarLayout([{ name: 'x'.repeat(101), size: 1 }])).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(tarLayout([{ name: `${'d'.repeat(150)}/${'x'.repeat(100)}`, size: 1 }]).totalSize).toBe(512 + 512 + 1024);
  });
});
