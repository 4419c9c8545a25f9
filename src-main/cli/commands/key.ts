/**
 * `ferry key generate | list | export-public`: the signing keys bundles will
 * be signed and approved with (docs/trust.md). The passphrase that seals a
 * private key comes from a private file (`--passphrase-file`, refused if
 * others can read it) or is typed twice on a terminal without echo; never
 * from a flag value, and it is never printed or logged.
 */
import { FerryError } from '../../../src-shared/errors.ts';
import { generateKey, keysFolder, listKeys, publicKeyPem } from '../../usecases/keys.ts';
import type { CommandIo, CommandSpec, ParsedArgs } from '../args.ts';
import { readPrivateFile, withoutTrailingNewline } from '../login-flags.ts';
import { shown } from '../terminal-text.ts';

/** The flags and help of `ferry key`. */
export const keySpec: CommandSpec = {
  name: 'key',
  usage: 'ferry key generate --name NAME [--out DIR] [--passphrase-file FILE] | ferry key list [--dir DIR] [--json] | ferry key export-public NAME [--dir DIR]',
  summary: 'Make, list and export the signing keys bundles are signed with (ECDSA P-256).',
  flags: {
    name: { type: 'string', value: 'NAME', description: 'generate: the new key\'s name (letters, digits, ".", "_", "-"); writes NAME.pub and NAME.key' },
    out: { type: 'string', value: 'DIR', description: "generate: the keys folder to write into (default: keys/ in Ferry's data folder)" },
    dir: { type: 'string', value: 'DIR', description: "list, export-public: the keys folder to read (default: keys/ in Ferry's data folder)" },
    'passphrase-file': {
      type: 'string',
      value: 'FILE',
      description:
        'generate: a file holding the passphrase that seals the private key (one line; refused if other users can read it, chmod 600). Without it the passphrase is typed twice on the terminal',
    },
    json: { type: 'boolean', description: 'print JSON on stdout' },
  },
  examples: ['ferry key generate --name exporter-1', 'ferry key list', 'ferry key export-public exporter-1 > exporter-1.pub'],
};

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

/** The passphrase for a new key: from --passphrase-file, else typed twice on a terminal; a clear refusal when there is neither. */
async function newPassphrase(values: ParsedArgs['values'], io: CommandIo, name: string): Promise<string> {
  const file = values['passphrase-file'];
  if (typeof file === 'string') {
    const passphrase = withoutTrailingNewline(await readPrivateFile(file, '--passphrase-file'));
    if (passphrase.includes('\n')) throw new FerryError('INVALID_ARGUMENT', `--passphrase-file ${file} must hold one line: the passphrase`, { path: file });
    if (passphrase === '') throw new FerryError('INVALID_ARGUMENT', `--passphrase-file ${file} is empty: an empty passphrase is not allowed`, { path: file });
    return passphrase;
  }
  const input = io.input ?? process.stdin;
  if (!isRawTerminal(input)) {
    throw new FerryError('INVALID_ARGUMENT', 'ferry key generate needs a passphrase to seal the private key: give --passphrase-file FILE (one line, chmod 600), or run it on a terminal to type one');
  }
  const [first = '', again = ''] = await readHidden(input, io.err, [`Passphrase for key ${name}: `, 'Same passphrase again: ']);
  if (first === '') throw new FerryError('INVALID_ARGUMENT', 'an empty passphrase is not allowed');
  if (again !== first) throw new FerryError('INVALID_ARGUMENT', 'the two passphrases differ; nothing was written');
  return first;
}

/** A string flag's value, or undefined. */
function stringFlag(values: ParsedArgs['values'], name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

/** Runs `ferry key`; returns the exit code. */
export async function runKey(args: ParsedArgs, io: CommandIo): Promise<number> {
  const [verb, ...rest] = args.positionals;
  const json = args.values.json === true;
  if (verb === 'generate') {
    const name = stringFlag(args.values, 'name');
    if (name === undefined || rest.length > 0) throw new FerryError('INVALID_ARGUMENT', 'usage: ferry key generate --name NAME [--out DIR] [--passphrase-file FILE]');
    const passphrase = await newPassphrase(args.values, io, name);
    const key = await generateKey(name, passphrase, stringFlag(args.values, 'out'));
    if (json) io.out.write(`${JSON.stringify(key, null, 2)}\n`);
    else io.out.write(shown`key ${key.name} (${key.algorithm}) ${key.fingerprint}\n  public:  ${key.publicKeyPath}\n  private: ${key.privateKeyPath} (encrypted, mode 0600)\n`);
    return 0;
  }
  if (verb === 'list') {
    if (rest.length > 0) throw new FerryError('INVALID_ARGUMENT', 'usage: ferry key list [--dir DIR] [--json]');
    const dir = keysFolder(stringFlag(args.values, 'dir'));
    const keys = await listKeys(dir);
    if (json) io.out.write(`${JSON.stringify({ folder: dir, keys }, null, 2)}\n`);
    else if (keys.length === 0) io.err.write(shown`no keys in ${dir} (make one with ferry key generate --name NAME)\n`);
    else {
      const width = Math.max(...keys.map((key) => key.name.length));
      const algorithmWidth = Math.max(...keys.map((key) => key.algorithm.length));
      for (const key of keys) {
        io.out.write(shown`${key.name.padEnd(width)}  ${key.algorithm.padEnd(algorithmWidth)}  ${key.fingerprint}${key.privateKeyPath === undefined ? '  (public key only)' : ''}\n`);
      }
    }
    return 0;
  }
  if (verb === 'export-public') {
    const [name, ...extra] = rest;
    if (name === undefined || extra.length > 0) throw new FerryError('INVALID_ARGUMENT', 'usage: ferry key export-public NAME [--dir DIR]');
    io.out.write(await publicKeyPem(name, stringFlag(args.values, 'dir')));
    return 0;
  }
  throw new FerryError('INVALID_ARGUMENT', 'usage: ferry key generate | list | export-public (see ferry key --help)');
}
