/**
 * base/safe-read.ts's lent read buffers: a stream reading into a lease hands
 * on the file's exact bytes through a ring of REUSED_BUFFERS buffers; a
 * released lease's buffers serve the next one, and a lease never released
 * (failed work, where a chunk may still be held) never lends its buffers again.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReadBuffers, REUSED_BUFFERS, SAFE_READ_CHUNK, streamBundleFile } from '../../src-main/base/safe-read.ts';

let root: string;
/** Five and a half chunks: more chunks than the ring has buffers, and a short last one. */
const content = randomBytes(SAFE_READ_CHUNK * 5 + SAFE_READ_CHUNK / 2);

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'ferry-read-buffers-'));
  await writeFile(join(root, 'blob'), content);
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Hashes each chunk as it arrives (as a verifier does) and notes which buffers the chunks lived in. */
async function read(buffers: ReadBuffers): Promise<{ digest: string; arrays: Set<ArrayBufferLike> }> {
  const hash = createHash('sha256');
  const arrays = new Set<ArrayBufferLike>();
  for await (const chunk of streamBundleFile(root, 'blob', { buffers })) {
    hash.update(chunk);
    arrays.add(chunk.buffer);
  }
  return { digest: hash.digest('hex'), arrays };
}

describe('lent read buffers', () => {
  it('hand on the exact bytes through a ring of REUSED_BUFFERS buffers', async () => {
    const lease = new ReadBuffers();
    const { digest, arrays } = await read(lease);
    expect(digest).toBe(createHash('sha256').update(content).digest('hex'));
    expect(arrays.size).toBe(REUSED_BUFFERS);
    lease.release();
  });

  it('serve the next lease once released, and never again when not released', async () => {
    const first = new ReadBuffers();
    const { arrays: firstArrays } = await read(first);
    first.release();
    const second = new ReadBuffers();
    const { arrays: secondArrays } = await read(second);
    expect([...secondArrays].every((array) => firstArrays.has(array))).toBe(true);
    // The second lease is not released (its work failed): a third lease gets other buffers.
    const third = new ReadBuffers();
    const { arrays: thirdArrays } = await read(third);
    expect([...thirdArrays].some((array) => secondArrays.has(array))).toBe(false);
  });
});
