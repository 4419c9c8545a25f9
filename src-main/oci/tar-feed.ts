/**
 * Feeding bytes into a tar-stream extractor with backpressure. Waiting only
 * for 'drain' hangs when the entry reader fails (it stops reading, so the
 * extractor never drains): this waits for 'drain' or 'close' instead, and a
 * reader that fails destroys the extractor when its for-await loop exits.
 */

/** The part of tar-stream's Extract the feed uses. */
interface Feedable {
  write(chunk: Uint8Array): boolean;
  on(event: 'drain' | 'close', listener: () => void): unknown;
  off(event: 'drain' | 'close', listener: () => void): unknown;
  destroyed?: boolean;
}

/** Writes one chunk; when the extractor is full, waits until it drains or is destroyed. Returns false once it is destroyed. */
export async function writeToExtract(extract: Feedable, chunk: Uint8Array): Promise<boolean> {
  if (extract.destroyed) return false;
  if (extract.write(chunk)) return true;
  await new Promise<void>((resolve) => {
    const done = (): void => {
      extract.off('drain', done);
      extract.off('close', done);
      resolve();
    };
    extract.on('drain', done);
    extract.on('close', done);
  });
  // Read again: the wait may have ended because the extractor was destroyed.
  return !(extract as { destroyed?: boolean }).destroyed;
}
