/**
 * The disk half of export's hot path on real files: writeGathered turns many
 * small chunks into a few large writes with every byte in order, and stops at
 * a failing source with only the bytes before it on disk. (The network half,
 * a body's chunks handed out as they came, is response-body.test.ts.)
 */
import { open, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GATHER_BYTES, writeGathered } from '../../src-main/base/gathered-write.ts';

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
