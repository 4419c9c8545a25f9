import { describe, expect, it } from 'vitest';
import { ReplayWindow } from '../../src-main/oci/replay-window.ts';

async function collect(source: AsyncIterable<Uint8Array>, limit = Number.POSITIVE_INFINITY): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of source) {
    chunks.push(Buffer.from(chunk));
    total += chunk.byteLength;
    if (total >= limit) break;
  }
  return Buffer.concat(chunks);
}

describe('ReplayWindow', () => {
  const data = Buffer.from(Array.from({ length: 100 }, (_, i) => i));
  const chunksOf = async function* () {
    for (let i = 0; i < data.length; i += 10) yield data.subarray(i, i + 10);
  };

  it('serves the stream, then replays from an offset inside the window and continues', async () => {
    const window = new ReplayWindow(chunksOf(), 30, 'blob x');
    expect(await collect(window.from(0), 50)).toEqual(data.subarray(0, 50));
    const rest = await collect(window.from(35));
    expect(rest).toEqual(data.subarray(35));
  });

  it('refuses an offset that fell out of the window, naming the blob', async () => {
    const window = new ReplayWindow(chunksOf(), 20, 'blob x');
    await collect(window.from(0), 80);
    await expect(collect(window.from(10))).rejects.toThrow(/blob x: the upload must restart at byte 10/);
  });
});
