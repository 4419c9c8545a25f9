/**
 * Passphrases of signing keys on the command line: from a private file
 * (`--passphrase-file`, refused if others can read it) or typed on a terminal
 * without echo; never a flag value, never printed or logged. `ferry key
 * generate` asks twice for a new key; the commands that sign (approve,
 * reject) ask once to open an existing one.
 */
import { FerryError } from '../../src-shared/errors.ts';
import type { CommandIo, ParsedArgs } from './args.ts';
import { readPrivateFile, withoutTrailingNewline } from './login-flags.ts';

/** The longest passphrase typed on a terminal, in characters. */
const MAX_TYPED_PASSPHRASE = 1024;

/** A terminal input that can stop echoing (process.stdin when it is a TTY). */
interface RawTerminal extends NodeJS.ReadableStream {
  isTTY: true;
  setRawMode(mode: boolean): unknown;
}

/** Whether a stream is a terminal that can be put in raw mode, so what is typed is not echoed. */
function isRawTerminal(stream: NodeJS.ReadableStream): stream is RawTerminal {
  const candidate = stream as Partial<RawTerminal>;
  return candidate.isTTY === true && typeof candidate.setRawMode === 'function';
}

/**
 * Reads one line per prompt from a terminal in raw mode (no echo), in one
 * session so keys typed (or pasted) ahead belong to the next prompt: Enter
 * ends a line, Backspace erases, Ctrl-C or Ctrl-D cancels.
 */
async function readHidden(terminal: RawTerminal, err: NodeJS.WritableStream, prompts: readonly string[]): Promise<string[]> {
  const lines: string[] = [];
  terminal.setRawMode(true);
  try {
    return await new Promise<string[]>((resolve, reject) => {
      let typed = '';
      const finish = (): void => {
        terminal.removeListener('data', onData);
        terminal.pause();
      };
      const onData = (chunk: Buffer | string): void => {
        for (const char of chunk.toString()) {
          if (char === '\r' || char === '\n') {
            err.write('\n');
            lines.push(typed);
            typed = '';
            const next = prompts[lines.length];
            if (next === undefined) {
              finish();
              resolve(lines);
              return;
            }
            err.write(next);
          } else if (char === '\u0003' || char === '\u0004') {
            err.write('\n');
            finish();
            reject(new FerryError('CANCELLED', 'passphrase entry cancelled'));
            return;
          } else if (char === '\u007f' || char === '\b') typed = typed.slice(0, -1);
          else if (typed.length < MAX_TYPED_PASSPHRASE) typed += char;
        }
      };
      err.write(prompts[0] ?? '');
      terminal.on('data', onData);
      terminal.resume();
    });
  } finally {
    terminal.setRawMode(false);
  }
}

/** The passphrase in --passphrase-file: a private file (readPrivateFile) holding one non-empty line; undefined when the flag is not given. */
async function passphraseFromFile(values: ParsedArgs['values']): Promise<string | undefined> {
  const file = values['passphrase-file'];
  if (typeof file !== 'string') return undefined;
  const passphrase = withoutTrailingNewline(await readPrivateFile(file, '--passphrase-file'));
  if (passphrase.includes('\n')) throw new FerryError('INVALID_ARGUMENT', `--passphrase-file ${file} must hold one line: the passphrase`, { path: file });
  if (passphrase === '') throw new FerryError('INVALID_ARGUMENT', `--passphrase-file ${file} is empty: an empty passphrase is not allowed`, { path: file });
  return passphrase;
}

/** The passphrase for a new key (`ferry key generate`): from --passphrase-file, else typed twice on a terminal; a clear refusal when there is neither. */
export async function newPassphrase(values: ParsedArgs['values'], io: CommandIo, name: string): Promise<string> {
  const fromFile = await passphraseFromFile(values);
  if (fromFile !== undefined) return fromFile;
  const input = io.input ?? process.stdin;
  if (!isRawTerminal(input)) {
    throw new FerryError('INVALID_ARGUMENT', 'ferry key generate needs a passphrase to seal the private key: give --passphrase-file FILE (one line, chmod 600), or run it on a terminal to type one');
  }
  const [first = '', again = ''] = await readHidden(input, io.err, [`Passphrase for key ${name}: `, 'Same passphrase again: ']);
  if (first === '') throw new FerryError('INVALID_ARGUMENT', 'an empty passphrase is not allowed');
  if (again !== first) throw new FerryError('INVALID_ARGUMENT', 'the two passphrases differ; nothing was written');
  return first;
}

/** The passphrase that opens an existing key: from --passphrase-file, else typed once on a terminal; `command` names who asks when there is neither. */
export async function existingPassphrase(values: ParsedArgs['values'], io: CommandIo, key: string, command: string): Promise<string> {
  const fromFile = await passphraseFromFile(values);
  if (fromFile !== undefined) return fromFile;
  const input = io.input ?? process.stdin;
  if (!isRawTerminal(input)) {
    throw new FerryError('INVALID_ARGUMENT', `${command} needs the passphrase of key ${key}: give --passphrase-file FILE (one line, chmod 600), or run it on a terminal to type it`);
  }
  const [typed = ''] = await readHidden(input, io.err, [`Passphrase for key ${key}: `]);
  if (typed === '') throw new FerryError('INVALID_ARGUMENT', 'no passphrase was typed');
  return typed;
}
