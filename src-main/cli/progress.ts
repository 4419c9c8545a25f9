/**
 * Progress on stderr: a single redrawn line on a terminal, and one line for
 * the plan when stderr is a pipe or a CI log. It draws the tracker's
 * snapshots (src-main/transfer/progress.ts) and computes nothing itself.
 */
import type { JobProgress, TransferEvent } from '../../src-shared/model/progress.ts';
import { formatBytes, formatEta, formatRate } from '../../src-shared/units.ts';
import { exactStream } from './terminal-text.ts';

/** One status line for a snapshot, e.g. `[######....]  42%  1.2 GiB/2.9 GiB  38.1 MiB/s  ETA 46 s  blobs 12/30`. */
export function progressLine(progress: JobProgress): string {
  const ratio = progress.totalBytes > 0 ? Math.min(1, progress.completeBytes / progress.totalBytes) : 0;
  const width = 24;
  const bar = '#'.repeat(Math.round(ratio * width)).padEnd(width, '.');
  const phase = progress.phase === 'verifying' ? 'verifying ' : progress.phase === 'checking-registry' ? 'checking the registry ' : '';
  return `[${bar}] ${phase}${(ratio * 100).toFixed(0).padStart(3)}%  ${formatBytes(progress.completeBytes)}/${formatBytes(progress.totalBytes)}  ${formatRate(progress.bytesPerSecond)}  ETA ${formatEta(progress.etaSeconds)}  blobs ${progress.blobsDone}/${progress.blobsTotal}`;
}

/** Renders transfer events to a stream; `close()` clears the line. */
export class ProgressRenderer {
  private readonly tty: boolean;

  private readonly stream: NodeJS.WritableStream;

  /** `stream` may be a TerminalGuard: the redrawn line is Ferry's own terminal control (numbers only), so it goes to the stream underneath. */
  constructor(stream: NodeJS.WritableStream = process.stderr) {
    this.stream = exactStream(stream);
    this.tty = Boolean((this.stream as { isTTY?: boolean }).isTTY);
  }

  /** Feeds one event (usually from a ProgressTracker). */
  readonly onEvent = (event: TransferEvent): void => {
    if (event.type === 'planned' && !this.tty) {
      const saved = event.savedByDedup ? `, ${formatBytes(event.savedByDedup)} saved by dedup` : '';
      this.stream.write(`planned ${event.images} images, ${event.blobs} blobs, ${formatBytes(event.bytes)}${saved}\n`);
    } else if (event.type === 'progress' && this.tty) {
      this.stream.write(`\r${progressLine(event.progress)}\x1b[K`);
    }
  };

  /** Clears the progress line on a terminal. */
  close(): void {
    if (this.tty) this.stream.write('\r\x1b[K');
  }
}
