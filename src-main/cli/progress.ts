/**
 * Progress on stderr: a single redrawn line on a terminal, and one line for
 * the plan when stderr is a pipe or a CI log. Typed events in, rendering here only.
 */
import type { CopyEvent } from '../transfer/copy.ts';

/** Redraws at most this often: smooth to the eye, negligible CPU. */
const REDRAW_MS = 200;

/** Formats a byte count the way people read drive sizes (binary units). */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** Renders copy progress to a stream; `close()` clears the line. */
export class ProgressRenderer {
  private totalBytes = 0;
  private totalBlobs = 0;
  private images = 0;
  private imagesDone = 0;
  private blobsDone = 0;
  private readonly active = new Map<string, number>();
  private doneBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly started = Date.now();

  private readonly tty: boolean;

  constructor(private readonly stream: NodeJS.WritableStream = process.stderr) {
    this.tty = Boolean((stream as { isTTY?: boolean }).isTTY);
  }

  /** Feeds one event from the engine. */
  readonly onEvent = (event: CopyEvent): void => {
    if (event.type === 'planned') {
      this.totalBytes = event.bytes;
      this.totalBlobs = event.blobs;
      this.images = event.images;
      if (!this.tty) this.stream.write(`planned ${event.images} images, ${event.blobs} blobs, ${formatBytes(event.bytes)}\n`);
      else this.timer ??= setInterval(() => this.draw(), REDRAW_MS).unref();
    } else if (event.type === 'image') {
      this.imagesDone += 1;
    } else {
      const { digest, state, complete } = event.progress;
      if (state === 'active' || state === 'started') this.active.set(digest, complete);
      else if (state !== 'failed') {
        this.active.delete(digest);
        this.blobsDone += 1;
        this.doneBytes += event.progress.total;
      }
    }
  };

  private draw(): void {
    let bytes = this.doneBytes;
    for (const complete of this.active.values()) bytes += complete;
    const seconds = Math.max(0.001, (Date.now() - this.started) / 1000);
    const ratio = this.totalBytes > 0 ? Math.min(1, bytes / this.totalBytes) : 0;
    const width = 24;
    const bar = '#'.repeat(Math.round(ratio * width)).padEnd(width, '.');
    this.stream.write(`\r[${bar}] ${(ratio * 100).toFixed(0).padStart(3)}%  ${formatBytes(bytes)}/${formatBytes(this.totalBytes)}  ${formatBytes(bytes / seconds)}/s  blobs ${this.blobsDone}/${this.totalBlobs}  images ${this.imagesDone}/${this.images}\x1b[K`);
  }

  /** Stops redrawing and clears the progress line. */
  close(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.tty) this.stream.write('\r\x1b[K');
  }
}
