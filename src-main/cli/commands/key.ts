/**
 * `ferry key generate | list | export-public`: the signing keys bundles will
 * be signed and approved with (docs/trust.md). The passphrase that seals a
 * private key comes from a private file (`--passphrase-file`, refused if
 * others can read it) or is typed twice on a terminal without echo; never
 * from a flag value, and it is never printed or logged.
 */
import { FerryError } from '../../../src-shared/errors.ts';
import { generateKey, KEY_ALGORITHMS, keysFolder, listKeys, publicKeyPem, type KeyAlgorithm } from '../../usecases/keys.ts';
import type { CommandIo, CommandSpec, ParsedArgs } from '../args.ts';
import { newPassphrase } from '../passphrase.ts';
import { shown } from '../terminal-text.ts';

/** The flags and help of `ferry key`. */
export const keySpec: CommandSpec = {
  name: 'key',
  usage: 'ferry key generate --name NAME [--algorithm ecdsa-p256|ed25519] [--out DIR] [--passphrase-file FILE] | ferry key list [--dir DIR] [--json] | ferry key export-public NAME [--dir DIR]',
  summary: 'Make, list and export the signing keys bundles are signed and approved with (ECDSA P-256 or Ed25519).',
  flags: {
    name: { type: 'string', value: 'NAME', description: 'generate: the new key\'s name (letters, digits, ".", "_", "-"); writes NAME.pub and NAME.key' },
    algorithm: { type: 'string', value: 'ALGORITHM', description: `generate: ${KEY_ALGORITHMS.join(' or ')} (default ecdsa-p256)` },
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
  examples: ['ferry key generate --name exporter-1', 'ferry key generate --name officer-1 --algorithm ed25519', 'ferry key list', 'ferry key export-public exporter-1 > exporter-1.pub'],
};

/** A string flag's value, or undefined. */
function stringFlag(values: ParsedArgs['values'], name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

/** The --algorithm value, checked before any passphrase is asked for. */
function keyAlgorithm(value: string | undefined): KeyAlgorithm {
  if (value === undefined) return 'ecdsa-p256';
  const known = KEY_ALGORITHMS.find((algorithm) => algorithm === value);
  if (known === undefined) throw new FerryError('INVALID_ARGUMENT', `--algorithm ${value} is not one Ferry makes: ${KEY_ALGORITHMS.join(' or ')}`);
  return known;
}

/** Runs `ferry key`; returns the exit code. */
export async function runKey(args: ParsedArgs, io: CommandIo): Promise<number> {
  const [verb, ...rest] = args.positionals;
  const json = args.values.json === true;
  if (verb === 'generate') {
    const name = stringFlag(args.values, 'name');
    if (name === undefined || rest.length > 0) throw new FerryError('INVALID_ARGUMENT', 'usage: ferry key generate --name NAME [--algorithm ecdsa-p256|ed25519] [--out DIR] [--passphrase-file FILE]');
    const algorithm = keyAlgorithm(stringFlag(args.values, 'algorithm'));
    const passphrase = await newPassphrase(args.values, io, name);
    const key = await generateKey(name, passphrase, stringFlag(args.values, 'out'), algorithm);
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
