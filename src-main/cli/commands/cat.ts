/**
 * `ferry cat IMAGE PATH`: one file of an image on stdout, as `crane export
 * IMAGE - | tar -Oxf - PATH` gives it — the layers looked at from the top,
 * whiteouts honoured, symlinks and hard links inside the image followed —
 * from a registry or a bundle. Every layer is checked against its digest and
 * nothing is written before that check passed: a file up to 16 MiB waits in
 * memory, a bigger one in a private temporary file (usecases/held-output.ts);
 * a failed check is reported on stderr with exit code 1 and empty stdout.
 *
 * The bytes are the file's, unescaped, only when stdout is not a terminal
 * (a pipe or a file) or with --raw; on a terminal they pass the same guard
 * as every other output, so a file cannot drive the terminal.
 */
import { FerryError } from '../../../src-shared/errors.ts';
import { browseStreamFile } from '../../usecases/browse.ts';
import type { CommandIo, CommandSpec, ParsedArgs } from '../args.ts';
import { noteBundleCheck, parseBrowseTarget, targetImage } from '../browse-target.ts';
import { registryFlags, registrySettings } from '../registry-flags.ts';
import { exactStream } from '../terminal-text.ts';

/** The flags and help of `ferry cat`. */
export const catSpec: CommandSpec = {
  name: 'cat',
  usage: 'ferry cat IMAGE PATH [--platform OS/ARCH] [--raw]  (IMAGE may be in a bundle: DIR:IMAGE or oci:DIR:IMAGE)',
  summary: 'Write one file of an image to stdout (its layers applied in order), from a registry or a bundle; every layer is checked against its digest.',
  flags: {
    platform: { type: 'string', value: 'OS/ARCH', description: 'the platform of a multi-platform image (default: the only one, else linux/amd64)' },
    raw: { type: 'boolean', description: 'write the bytes unescaped even to a terminal (they always are to a pipe or file)' },
    ...registryFlags(''),
  },
  examples: [
    'ferry cat registry.example.com/deckhouse/ee/release-channel:stable version.json',
    'ferry cat --plain-http 127.0.0.1:5000/app:v1 /etc/os-release',
    'ferry cat /media/usb/bundle:registry.example.com/deckhouse/ee/release-channel:stable version.json',
  ],
};

/** Writes one chunk and waits until the stream took it (backpressure; a closed pipe rejects). */
function writeChunk(stream: NodeJS.WritableStream, chunk: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.write(chunk, (error?: Error | null) => (error ? reject(error) : resolve()));
  });
}

/** Runs `ferry cat`; returns the exit code (a failed digest check is thrown and reported by main with exit 1). */
export async function runCat(args: ParsedArgs, io: CommandIo): Promise<number> {
  const [argument, path, ...extra] = args.positionals;
  if (argument === undefined || path === undefined || extra.length > 0) throw new FerryError('INVALID_ARGUMENT', 'give one IMAGE and one PATH (see ferry cat --help)');
  const target = parseBrowseTarget(argument);
  const image = targetImage(target, argument);
  noteBundleCheck(target, io.err);
  const settings = await registrySettings(args.values, io);
  const raw = exactStream(io.out);
  const terminal = Boolean((raw as { isTTY?: boolean }).isTTY);
  const out = terminal && args.values.raw !== true ? io.out : raw;
  const platform = typeof args.values.platform === 'string' ? args.values.platform : undefined;
  const controller = new AbortController();
  const stop = (): void => controller.abort(new FerryError('CANCELLED', 'ferry cat cancelled'));
  // A reader that stops early (`| head`) closes the pipe: the write's own callback reports it, so the stream's error event is not left unheard.
  const quiet = (): void => undefined;
  out.on('error', quiet);
  process.once('SIGINT', stop);
  try {
    await browseStreamFile(target.source, settings, image, path, platform ? { platform } : {}, (chunk) => writeChunk(out, chunk), { signal: controller.signal });
  } catch (error) {
    // As a program killed by SIGPIPE ends (128 + 13), without a stack trace: the reader chose to stop reading.
    if ((error as { code?: unknown }).code === 'EPIPE') return 141;
    throw error;
  } finally {
    process.removeListener('SIGINT', stop);
    out.removeListener('error', quiet);
  }
  return 0;
}
