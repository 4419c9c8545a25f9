import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HashThread } from '../../src-main/base/hash-thread.ts';
import { SAFE_READ_CHUNK } from '../../src-main/base/safe-read.ts';
import { PartReader, type PartChunk } from '../../src-main/bundle/part-reader.ts';
import { failure } from '../harness/test-helpers.ts';

let dir: string;
const parts: Array<{ name: string; bytes: Buffer }> = [];
let stream: Buffer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-part-reader-'));
  // Sizes that end mid-buffer, a one-byte part, and one part longer than the ring.
  for (const [index, size] of [3 * SAFE_READ_CHUNK + 12_345, 1, 12 * SAFE_READ_CHUNK + 7].entries()) {
    const name = `part-00000${index}.tar`;
    const bytes = randomBytes(size);
    await writeFile(join(dir, name), bytes);
    parts.push({ name, bytes });
  }
  stream = Buffer.concat(parts.map((p) => p.bytes));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

describe('PartReader', () => {
  for (const hashThread of [false, true]) {
    it(`hands out every byte in order with stream offsets, and each part's sha256 (${hashThread ? 'second thread' : 'this thread'})`, async () => {
      const reader = new PartReader({ hashThread });
      try {
        const seen: Buffer[] = [];
        let end = 0;
        for (const part of parts) {
          for await (const chunk of reader.read(dir, part.name)) {
            end += chunk.bytes.length;
            expect(chunk.end).toBe(end);
            seen.push(Buffer.from(chunk.bytes));
          }
          expect(await reader.partDigest()).toBe(sha256(part.bytes));
        }
        expect(Buffer.concat(seen).equals(stream)).toBe(true);
      } finally {
        await reader.close();
      }
    });

    it(`never refills a buffer the tar reader still holds (${hashThread ? 'second thread' : 'this thread'})`, async () => {
      const reader = new PartReader({ hashThread });
      const held: PartChunk[] = [];
      const intact = (): void => {
        for (const chunk of held) expect(chunk.bytes.equals(stream.subarray(chunk.end - chunk.bytes.length, chunk.end)), `chunk ending at ${chunk.end}`).toBe(true);
      };
      try {
        for (const part of parts) {
          for await (const chunk of reader.read(dir, part.name)) {
            reader.holdForTar(chunk);
            held.push(chunk);
            intact();
            // Three chunks stay held at any time, as a tar reader with a chunk in flight holds them.
            if (held.length > 3) reader.release((held.shift() as PartChunk).end);
          }
          await reader.partDigest();
        }
        intact();
      } finally {
        await reader.close();
      }
    });
  }

  it('after dropTarHolds, held buffers keep their bytes and reading goes on with new ones', async () => {
    const reader = new PartReader({ hashThread: true });
    const held: PartChunk[] = [];
    const big = parts[2] as { name: string; bytes: Buffer };
    try {
      let count = 0;
      for await (const chunk of reader.read(dir, big.name)) {
        if (count < 5) {
          reader.holdForTar(chunk);
          held.push(chunk);
        }
        if (count === 5) reader.dropTarHolds();
        count += 1;
      }
      expect(await reader.partDigest()).toBe(sha256(big.bytes));
      for (const chunk of held) expect(chunk.bytes.equals(big.bytes.subarray(chunk.end - chunk.bytes.length, chunk.end))).toBe(true);
    } finally {
      await reader.close();
    }
  });

  it('a part read that stops early leaves the next part hashed from its own first byte', async () => {
    const reader = new PartReader({ hashThread: true });
    try {
      for await (const _chunk of reader.read(dir, (parts[0] as { name: string }).name)) break;
      const second = parts[2] as { name: string; bytes: Buffer };
      for await (const _chunk of reader.read(dir, second.name)) {
        /* read whole */
      }
      expect(await reader.partDigest()).toBe(sha256(second.bytes));
    } finally {
      await reader.close();
    }
  });

  it('a cancelled read stops with CANCELLED', async () => {
    const reader = new PartReader({ hashThread: true });
    const controller = new AbortController();
    try {
      const reading = (async () => {
        for await (const _chunk of reader.read(dir, (parts[2] as { name: string }).name, controller.signal)) controller.abort();
      })();
      expect((await failure(reading)).code).toBe('CANCELLED');
    } finally {
      await reader.close();
    }
  });
});

describe('HashThread', () => {
  it('hashes shared memory like createHash, and refuses work once closed', async () => {
    const thread = new HashThread();
    const buffer = thread.allocate(1024);
    buffer.bytes.fill(7);
    await thread.update(buffer, 1000);
    expect(await thread.digest()).toBe(sha256(Buffer.alloc(1000, 7)));
    await thread.close();
    expect((await failure(thread.update(buffer, 10))).code).toBe('INTERNAL');
  });
});
