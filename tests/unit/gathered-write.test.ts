/**
 * The two halves of export's hot path on real files and real streams:
 * writeGathered turns many small chunks into a few large writes with every
 * byte in order, and stops at a failing source with only the bytes before it
 * on disk; bodyChunks hands out a body's chunks themselves (no concatenation),
 * pauses a body that runs ahead and destroys one left early.
 */
import { open, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GATHER_BYTES, writeGathered } from '../../src-main/base/gathered-write.ts';
import { bodyChunks } from '../../src-main/oci/registry/blobs.ts';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'ferry-gathered-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Distinct bytes per chunk, so a reordered or dropped chunk shows in the file. */
function chunkOf(index: number, size: number): Buffer {
  return Buffer.alloc(size, index % 251);
}

async function* fromList(list: Array<Uint8Array | Error>): AsyncGenerator<Uint8Array> {
  for (const item of list) {
    if (item instanceof Error) throw item;
    yield item;
  }
}

describe('writeGathered', () => {
  it('writes every chunk in order as a few large writes and tells the progress per batch', async () => {
    const path = join(root, 'out.bin');
    const list = Array.from({ length: 100 }, (_, i) => chunkOf(i, 40_000 + i));
    const handle = await open(path, 'w');
    const progress: number[] = [];
    let written: number;
    try {
      written = await writeGathered(handle, fromList(list), path, { onWritten: (bytes) => progress.push(bytes) });
    } finally {
      await handle.close();
    }
    const expected = Buffer.concat(list);
    expect(written).toBe(expected.length);
    expect((await readFile(path)).equals(expected)).toBe(true);
    // 4 MB in batches of at least 1 MiB: a handful of writes, not one per chunk.
    expect(progress.length).toBeLessThanOrEqual(Math.ceil(expected.length / GATHER_BYTES) + 1);
    expect(progress.at(-1)).toBe(expected.length);
  });

  it('appends to a file opened for appending (a resumed .partial)', async () => {
    const path = join(root, 'resumed.partial');
    const handle = await open(path, 'w');
    await handle.write(Buffer.from('held-'));
    await handle.close();
    const again = await open(path, 'a');
    try {
      await writeGathered(again, fromList([Buffer.from('rest'), new Uint8Array(0), Buffer.from('!')]), path, { gatherBytes: 2 });
    } finally {
      await again.close();
    }
    expect(await readFile(path, 'utf8')).toBe('held-rest!');
  });

  it('stops at a failing source: the batches before it are on disk, nothing after, and the error is the source’s', async () => {
    const path = join(root, 'failed.bin');
    const bad = new Error('digest mismatch');
    const handle = await open(path, 'w');
    try {
      await expect(writeGathered(handle, fromList([chunkOf(1, 10), chunkOf(2, 10), bad, chunkOf(3, 10)]), path, { gatherBytes: 10 })).rejects.toBe(bad);
    } finally {
      await handle.close();
    }
    const onDisk = await readFile(path);
    expect(onDisk.equals(Buffer.concat([chunkOf(1, 10), chunkOf(2, 10)]))).toBe(true);
  });

  it('names the file when the OS refuses the write', async () => {
    const path = join(root, 'read-only.bin');
    const handle = await open(path, 'w');
    await handle.close();
    const readOnly = await open(path, 'r');
    try {
      await expect(writeGathered(readOnly, fromList([chunkOf(1, 10)]), path)).rejects.toThrow(path);
    } finally {
      await readOnly.close();
    }
  });
});

describe('bodyChunks', () => {
  it('hands out the very chunks the body delivered, in order, and ends with the body', async () => {
    const body = new PassThrough();
    const sent = [chunkOf(1, 1000), chunkOf(2, 2000), chunkOf(3, 3000)];
    for (const chunk of sent) body.write(chunk);
    body.end();
    const got: Buffer[] = [];
    for await (const chunk of bodyChunks(body)) got.push(chunk);
    expect(got).toHaveLength(3);
    got.forEach((chunk, i) => expect(chunk.equals(sent[i] as Buffer)).toBe(true));
  });

  it('hands out what arrived before an error, then throws it', async () => {
    const body = new PassThrough();
    const broken = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    body.write(chunkOf(1, 500));
    setImmediate(() => body.destroy(broken));
    const got: Buffer[] = [];
    await expect(
      (async () => {
        for await (const chunk of bodyChunks(body)) got.push(chunk);
      })(),
    ).rejects.toBe(broken);
    expect(got.map((chunk) => chunk.length)).toEqual([500]);
  });

  it('pauses a body that runs ahead of its reader and resumes it when the reader catches up', async () => {
    const body = new PassThrough({ highWaterMark: 64 * 1024 });
    const iterator = bodyChunks(body)[Symbol.asyncIterator]();
    const first = iterator.next();
    for (let i = 0; i < 40; i++) body.write(chunkOf(i, 64 * 1024));
    await first;
    await new Promise((resolve) => setImmediate(resolve));
    expect(body.isPaused()).toBe(true);
    let bytes = 64 * 1024;
    body.end();
    for (;;) {
      const next = await iterator.next();
      if (next.done) break;
      bytes += next.value.length;
    }
    expect(bytes).toBe(40 * 64 * 1024);
  });

  it('destroys a body its reader leaves early, so the request is closed', async () => {
    const body = new PassThrough();
    body.write(chunkOf(1, 100));
    body.write(chunkOf(2, 100));
    for await (const _chunk of bodyChunks(body)) break;
    expect(body.destroyed).toBe(true);
  });
});
