/**
 * A one-shot byte stream (a tar entry read from removable media) made
 * replayable for the last `capacity` bytes, so a chunked upload that fails can
 * resend from where the registry says it stopped without reading the entry
 * twice. Memory is bounded by `capacity`.
 */
import { FerryError } from '../../src-shared/errors.ts';

/** Keeps the most recent bytes of a stream and serves them again from any offset inside the window. */
export class ReplayWindow {
  private readonly iterator: AsyncIterator<Uint8Array>;
  private readonly chunks: Uint8Array[] = [];
  /** Stream offset of chunks[0]. */
  private start = 0;
  /** Bytes pulled from the source so far. */
  private end = 0;

  constructor(
    source: AsyncIterable<Uint8Array>,
    private readonly capacity: number,
    private readonly subject: string,
  ) {
    this.iterator = source[Symbol.asyncIterator]();
  }

  /** The stream from `offset` on: retained bytes first, then new ones from the source. */
  async *from(offset: number): AsyncGenerator<Uint8Array> {
    if (offset < this.start || offset > this.end) {
      throw new FerryError('NETWORK_ERROR', `${this.subject}: the upload must restart at byte ${offset}, outside the ${this.capacity}-byte window kept in memory; run the import again to resume`, {
        offset,
      });
    }
    let position = this.start;
    for (const chunk of [...this.chunks]) {
      const chunkEnd = position + chunk.byteLength;
      if (chunkEnd > offset) yield chunk.subarray(Math.max(0, offset - position));
      position = chunkEnd;
    }
    for (;;) {
      const next = await this.iterator.next();
      if (next.done) return;
      this.keep(next.value);
      yield next.value;
    }
  }

  private keep(chunk: Uint8Array): void {
    this.chunks.push(chunk);
    this.end += chunk.byteLength;
    while (this.chunks.length > 1 && this.end - this.start - (this.chunks[0]?.byteLength ?? 0) >= this.capacity) {
      this.start += this.chunks.shift()?.byteLength ?? 0;
    }
  }
}
