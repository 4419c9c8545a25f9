/**
 * Text that cannot drive a terminal. Image names, annotations, file names and
 * registry error bodies come from media or a registry anyone could have
 * touched; printed raw, an escape sequence in one of them could move the
 * cursor, erase or conceal lines and repaint "NOT VERIFIED" away. Every
 * control character (C0, DEL, C1), every bidi override or isolate and every
 * other invisible format character is shown as a visible escape instead.
 *
 * Two layers: `terminalSafe` for one value (a newline inside a name is shown
 * as `\n`), and `TerminalGuard`, the stream every command writes to, which
 * escapes whatever reaches it except the newlines between lines, so no path
 * is missed. Ferry's own terminal control (the `\r` progress line) goes
 * through `exactStream`. The escapes the guard writes for characters outside
 * C0 are JSON's own (`\u202e`), so `--json` output parses to the same values.
 */
import { Writable } from 'node:stream';
import { CONTROL_OR_INVISIBLE_CLASS, visibleEscape } from '../../src-shared/printable-text.ts';

/** Control (Cc), format (Cf: bidi overrides and isolates, zero-width and other invisible characters), line/paragraph separators (as the schemas refuse them), and lone surrogates. */
const UNSAFE = new RegExp(`[${CONTROL_OR_INVISIBLE_CLASS}\\p{Cs}]`, 'gu');
const UNSAFE_BUT_NEWLINE = new RegExp(`(?!\\n)[${CONTROL_OR_INVISIBLE_CLASS}\\p{Cs}]`, 'gu');

/** One untrusted value (a name, a tag, a message from a registry) made safe to print: every invisible or controlling character, newlines included, shown as an escape. */
export function terminalSafe(value: unknown): string {
  return String(value).replace(UNSAFE, visibleEscape);
}

/** Whole lines of output made safe to print: like `terminalSafe`, but the newlines between lines stay. */
export function terminalLines(text: string): string {
  return text.replace(UNSAFE_BUT_NEWLINE, visibleEscape);
}

/** A template tag that passes Ferry's own text through and makes every interpolated value `terminalSafe`. */
export function shown(strings: TemplateStringsArray, ...values: unknown[]): string {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += terminalSafe(value) + (strings[i + 1] ?? '');
  });
  return out;
}

/**
 * The stream a command writes to: forwards every write to `target` through
 * `terminalLines`, synchronously and in order. `isTTY` is the target's, so
 * progress knows whether it may redraw a line.
 */
export class TerminalGuard extends Writable {
  readonly isTTY: boolean;
  private readonly decoder = new TextDecoder();

  constructor(readonly target: NodeJS.WritableStream) {
    super({ decodeStrings: false });
    this.isTTY = Boolean((target as { isTTY?: boolean }).isTTY);
  }

  override _write(chunk: unknown, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    const text = typeof chunk === 'string' ? chunk : this.decoder.decode(chunk as Uint8Array, { stream: true });
    this.target.write(terminalLines(text));
    done();
  }
}

/** The stream under a guard, for Ferry's own terminal control (`\r`, erase to end of line) and for bytes that must stay exact; any other stream is returned as is. */
export function exactStream(stream: NodeJS.WritableStream): NodeJS.WritableStream {
  return stream instanceof TerminalGuard ? stream.target : stream;
}
