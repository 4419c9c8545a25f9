/**
 * `ferry serve`: an OCI registry for a site that has none (`--storage DIR`,
 * read-write, or `--bundle DIR`, a verified bundle read-only; issue 15,
 * docs/serve.md), `ferry serve gc` for the store, and `--files DIR`, a
 * folder served read-only over HTTP (e.g. the package repository `ferry
 * extract` wrote, for apt-get or dnf). Runs until Ctrl-C or SIGTERM, then
 * closes cleanly. `--print-service` prints a systemd unit, a launchd plist
 * or a Windows task for the same flags instead of serving. The registry's
 * modules (X.509, bcrypt, the server) load only when asked for.
 */
import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { userInfo } from 'node:os';
import { FerryError } from '../../../src-shared/errors.ts';
import { untilInterrupted } from '../../base/interrupt.ts';
import type { ServeInput } from '../../usecases/serve.ts';
import { stringsFlag, type CommandIo, type CommandSpec, type ParsedArgs } from '../args.ts';
import { readAll, readPrivateFile, withoutTrailingNewline } from '../login-flags.ts';
import { shown } from '../terminal-text.ts';
import { runServePassword } from './serve-password.ts';

/** Where `ferry serve --files` listens unless told otherwise: loopback only; a wider address must be asked for. */
const DEFAULT_LISTEN = '127.0.0.1:8080';
/** Where the registry listens unless told otherwise: loopback only, on Distribution's usual port. */
const DEFAULT_REGISTRY_LISTEN = '127.0.0.1:5000';

/** The flags and help of `ferry serve`. */
export const serveSpec: CommandSpec = {
  name: 'serve',
  usage:
    'ferry serve --storage DIR | --bundle DIR [--listen HOST:PORT] [--tls auto [--name HOST]... | --cert FILE --key FILE] [--htpasswd FILE | --user NAME --password-stdin|--password-file FILE|--password-keychain [--credential-helper NAME]] [--read-only] [--print-service systemd|launchd|windows] | ferry serve gc --storage DIR [--dry-run] | ferry serve password set|delete --user NAME [--credential-helper NAME] | ferry serve --files DIR [--listen HOST:PORT]',
  summary: 'Run an OCI registry from a store folder or a bundle (or serve a folder read-only over HTTP with --files).',
  flags: {
    storage: { type: 'string', value: 'DIR', description: 'the registry store folder (created on first use; pushes land here)' },
    bundle: { type: 'string', value: 'DIR', description: 'serve a directory bundle read-only, after verifying it' },
    files: { type: 'string', value: 'DIR', description: 'serve this folder as / over plain HTTP (GET/HEAD, no symlinks), not a registry' },
    listen: {
      type: 'string',
      value: 'HOST:PORT',
      description: `the address to listen on (default ${DEFAULT_REGISTRY_LISTEN}, ${DEFAULT_LISTEN} with --files; port 0 picks a free one; 0.0.0.0:PORT serves the network)`,
    },
    tls: { type: 'string', value: 'auto', description: 'auto: HTTPS with a local CA made under DIR/tls (ca.crt is what clients trust); reused on later starts' },
    name: { type: 'string', multiple: true, value: 'HOST', description: 'with --tls auto: a host name or IP clients use; the certificate covers it and the listen address' },
    cert: { type: 'string', value: 'FILE', description: 'HTTPS with your certificate chain (PEM); needs --key' },
    key: { type: 'string', value: 'FILE', description: 'the private key (PEM) of --cert' },
    htpasswd: { type: 'string', value: 'FILE', description: 'require a login from this htpasswd file (bcrypt hashes, as htpasswd -B writes)' },
    user: { type: 'string', value: 'NAME', description: 'require this one user; the password comes from --password-stdin, --password-file or --password-keychain' },
    'password-stdin': { type: 'boolean', description: "read --user's password from standard input (one trailing newline dropped)" },
    'password-file': { type: 'string', value: 'FILE', description: "read --user's password from a file only you can read (chmod 600); what a service uses" },
    'password-keychain': {
      type: 'boolean',
      description: "read --user's password from the system keychain, where ferry serve password set put it (through a docker-credential-helpers program)",
    },
    'credential-helper': {
      type: 'string',
      value: 'NAME',
      description: 'the keychain of --password-keychain and ferry serve password: docker-credential-NAME (osxkeychain, wincred, secretservice, pass); default: credsStore in ~/.docker/config.json',
    },
    'read-only': { type: 'boolean', description: 'serve the store without accepting pushes or deletes' },
    'print-service': { type: 'string', value: 'KIND', description: 'print a systemd, launchd or windows service definition for these flags and exit (installs nothing)' },
    'dry-run': { type: 'boolean', description: 'gc: list what would be removed, remove nothing' },
    quiet: { type: 'boolean', description: 'do not print a line per request (faults and warnings are still printed)' },
  },
  examples: [
    'ferry serve --storage /srv/ferry-registry --listen 0.0.0.0:5000 --tls auto --name registry.site.lan',
    'ferry serve --storage /srv/ferry-registry --tls auto --htpasswd /etc/ferry/htpasswd --print-service systemd',
    'ferry serve --bundle /media/usb/bundle --listen 0.0.0.0:5000',
    'ferry serve gc --storage /srv/ferry-registry --dry-run',
    'ferry serve password set --user site --credential-helper secretservice < password.txt',
    'ferry serve --storage /srv/ferry-registry --tls auto --user site --password-keychain --credential-helper secretservice',
    'ferry serve --files /srv/repo/debs --listen 0.0.0.0:8080',
  ],
};

/** `HOST:PORT` (`[::1]:PORT` for IPv6) split and checked. */
export function parseListen(value: string): { host: string; port: number } {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(value.trim());
  const port = match ? Number(match[3]) : NaN;
  const host = match?.[1] ?? match?.[2];
  if (host === undefined || !Number.isInteger(port) || port > 65_535) throw new FerryError('INVALID_ARGUMENT', `--listen must be HOST:PORT such as 127.0.0.1:8080 or [::1]:8080, got "${value}"`);
  return { host, port };
}

/** A string flag's value, or undefined. */
function stringFlag(values: ParsedArgs['values'], name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

/** Refuses flags that belong to another mode of `ferry serve`, by name. */
function refuseFlags(values: ParsedArgs['values'], names: readonly string[], why: string): void {
  const given = names.filter((name) => values[name] !== undefined);
  if (given.length > 0) throw new FerryError('INVALID_ARGUMENT', `${given.map((name) => `--${name}`).join(', ')} ${given.length > 1 ? 'do' : 'does'} not apply ${why}`);
}

/** The registry flags that --files and gc do not take. */
const REGISTRY_FLAGS = ['bundle', 'tls', 'name', 'cert', 'key', 'htpasswd', 'user', 'password-stdin', 'password-file', 'password-keychain', 'credential-helper', 'read-only', 'print-service'] as const;

/** `ferry serve --files`: the plain HTTP folder server, as before issue 15. */
async function runFileServer(args: ParsedArgs, { out, err }: CommandIo, files: string): Promise<number> {
  refuseFlags(args.values, ['storage', 'dry-run', ...REGISTRY_FLAGS], 'to --files (a plain folder server)');
  const { host, port } = parseListen(stringFlag(args.values, 'listen') ?? DEFAULT_LISTEN);
  const quiet = args.values.quiet === true;
  const { startFileServer } = await import('../../server/file-server.ts');
  const server = await startFileServer({
    root: files,
    host,
    port,
    ...(quiet ? {} : { onRequest: ({ method, path, status }: { method: string; path: string; status: number }) => err.write(shown`${method} ${path} ${String(status)}\n`) }),
  });
  out.write(shown`serving ${files} read-only at ${server.url} (Ctrl-C stops)\n`);
  await untilInterrupted();
  await server.close();
  return 0;
}

/** `ferry serve gc --storage DIR [--dry-run]`: removes what no repository needs, from a store no server has open. */
async function runGarbage(args: ParsedArgs, { out }: CommandIo): Promise<number> {
  refuseFlags(args.values, ['files', 'listen', 'quiet', ...REGISTRY_FLAGS], 'to ferry serve gc');
  const storage = stringFlag(args.values, 'storage');
  if (storage === undefined || args.positionals.length > 1) throw new FerryError('INVALID_ARGUMENT', 'usage: ferry serve gc --storage DIR [--dry-run] (stop ferry serve on that store first)');
  const dryRun = args.values['dry-run'] === true;
  const [{ serveGarbage }, { formatBytes }] = await Promise.all([import('../../usecases/serve.ts'), import('../../../src-shared/units.ts')]);
  const report = await serveGarbage(storage, dryRun);
  const verb = dryRun ? 'would remove' : 'removed';
  for (const blob of report.removed) out.write(shown`${verb} ${blob.digest} (${formatBytes(blob.size)})\n`);
  for (const upload of report.removedUploads) out.write(shown`${verb} upload ${upload.id} (${formatBytes(upload.size)}, abandoned)\n`);
  if (report.removedLeftovers > 0) out.write(shown`${verb} ${String(report.removedLeftovers)} temporary file(s) a kill left\n`);
  out.write(shown`${dryRun ? 'dry run: would free' : 'freed'} ${formatBytes(report.bytesFreed)} in ${String(report.removed.length)} blob(s); ${String(report.keptBlobs)} blob(s) still referenced\n`);
  return 0;
}

/** --user's password, from --password-stdin, --password-file or --password-keychain (never a flag value); undefined without --user. */
async function userLogin(values: ParsedArgs['values'], io: CommandIo): Promise<{ name: string; password: string } | undefined> {
  const name = stringFlag(values, 'user');
  const stdin = values['password-stdin'] === true;
  const file = stringFlag(values, 'password-file');
  const keychain = values['password-keychain'] === true;
  const helper = stringFlag(values, 'credential-helper');
  if (name === undefined) {
    if (stdin || file !== undefined || keychain) throw new FerryError('INVALID_ARGUMENT', '--password-stdin, --password-file and --password-keychain need --user NAME');
    return undefined;
  }
  if ([stdin, file !== undefined, keychain].filter(Boolean).length !== 1)
    throw new FerryError('INVALID_ARGUMENT', `--user ${name} needs its password from exactly one of --password-stdin, --password-file FILE or --password-keychain`);
  if (keychain) {
    const { readServePassword } = await import('../../usecases/serve-keychain.ts');
    const { password, entry } = await readServePassword(name, helper !== undefined ? { helper } : {});
    io.err.write(shown`ferry: the password of user ${name} comes from ${entry.program} (key ${entry.key})\n`);
    return { name, password };
  }
  const password = withoutTrailingNewline(file !== undefined ? await readPrivateFile(file, '--password-file') : await readAll(io.input ?? process.stdin, 'standard input'));
  if (password === '' || password.includes('\n')) throw new FerryError('INVALID_ARGUMENT', `the password of --user ${name} must be one non-empty line`);
  return { name, password };
}

/** The registry's ServeInput from the flags, checked; the password is read last, only when everything else is right and `readPassword` says so. */
async function serveInput(values: ParsedArgs['values'], io: CommandIo, readPassword: boolean): Promise<ServeInput> {
  const storage = stringFlag(values, 'storage');
  const bundle = stringFlag(values, 'bundle');
  if ((storage === undefined) === (bundle === undefined))
    throw new FerryError('INVALID_ARGUMENT', 'give one of --storage DIR (a registry store), --bundle DIR (a bundle, read-only) or --files DIR (see ferry serve --help)');
  if (bundle !== undefined && values['read-only'] === true) io.err.write('ferry: note: a bundle is always served read-only; --read-only changes nothing\n');
  const tlsMode = stringFlag(values, 'tls');
  const cert = stringFlag(values, 'cert');
  const key = stringFlag(values, 'key');
  const names = stringsFlag(values, 'name');
  if (tlsMode !== undefined && tlsMode !== 'auto') throw new FerryError('INVALID_ARGUMENT', `--tls takes auto, got "${tlsMode}" (for your own certificate give --cert FILE --key FILE)`);
  if (tlsMode === 'auto' && (cert !== undefined || key !== undefined)) throw new FerryError('INVALID_ARGUMENT', '--tls auto and --cert/--key exclude each other');
  if ((cert === undefined) !== (key === undefined)) throw new FerryError('INVALID_ARGUMENT', '--cert and --key go together');
  if (names.length > 0 && tlsMode !== 'auto') throw new FerryError('INVALID_ARGUMENT', '--name is for --tls auto (the names its certificate covers)');
  const htpasswd = stringFlag(values, 'htpasswd');
  if (htpasswd !== undefined && values.user !== undefined) throw new FerryError('INVALID_ARGUMENT', '--htpasswd and --user exclude each other: put every user in the htpasswd file');
  if (values['credential-helper'] !== undefined && values['password-keychain'] !== true)
    throw new FerryError('INVALID_ARGUMENT', '--credential-helper names the keychain of --password-keychain: add --password-keychain');
  const user = readPassword ? await userLogin(values, io) : undefined;
  return {
    ...(storage !== undefined ? { storage } : {}),
    ...(bundle !== undefined ? { bundle } : {}),
    listen: parseListen(stringFlag(values, 'listen') ?? DEFAULT_REGISTRY_LISTEN),
    ...(tlsMode === 'auto' ? { tls: { mode: 'auto' as const, names } } : cert !== undefined && key !== undefined ? { tls: { mode: 'files' as const, certFile: cert, keyFile: key } } : {}),
    ...(htpasswd !== undefined ? { htpasswd } : {}),
    ...(user ? { user } : {}),
    ...(values['read-only'] === true ? { readOnly: true } : {}),
  };
}

/**
 * The `ferry serve` command line a service runs for these flags: this
 * node and this ferry script by absolute path, every file flag made
 * absolute, and the password by file (a service has no standard input).
 */
function serviceCommand(values: ParsedArgs['values']): string[] {
  if (values['password-stdin'] === true) {
    throw new FerryError('INVALID_ARGUMENT', 'a service has no standard input for --password-stdin: give --password-file FILE (chmod 600), or use --htpasswd FILE');
  }
  if (values.user !== undefined && values['password-file'] === undefined && values['password-keychain'] !== true)
    throw new FerryError('INVALID_ARGUMENT', '--user in a service needs --password-file FILE (chmod 600) or --password-keychain: a service has no standard input');
  const script = process.argv[1];
  if (script === undefined) throw new FerryError('INTERNAL', 'cannot tell where the ferry script is');
  const command = [process.execPath, realpathSync(script), 'serve'];
  const pathFlags = new Set(['storage', 'bundle', 'cert', 'key', 'htpasswd', 'password-file']);
  for (const [name, flag] of Object.entries(serveSpec.flags)) {
    if (name === 'print-service' || name === 'files' || name === 'dry-run') continue;
    const value = values[name];
    if (value === undefined || value === false) continue;
    if (flag.type === 'boolean') command.push(`--${name}`);
    else for (const one of Array.isArray(value) ? value.map(String) : [String(value)]) command.push(`--${name}`, pathFlags.has(name) ? resolve(one) : one);
  }
  return command;
}

/** `--print-service KIND`: prints the definition and the file name it is usually saved as; starts nothing. */
async function printService(kindText: string, values: ParsedArgs['values'], io: CommandIo): Promise<number> {
  const { serveServiceDefinition } = await import('../../usecases/serve.ts');
  const storage = stringFlag(values, 'storage');
  const bundle = stringFlag(values, 'bundle');
  const served = storage !== undefined ? `store ${resolve(storage)}` : `bundle ${resolve(bundle ?? '')}`;
  const account = userInfo();
  const definition = serveServiceDefinition(
    kindText,
    serviceCommand(values),
    `Ferry OCI registry (ferry serve) for the ${served}`,
    process.platform !== 'win32' && account.uid !== 0 ? account.username : undefined,
  );
  io.err.write(shown`ferry: save this as ${definition.fileName}; nothing was installed\n`);
  if (values['password-keychain'] === true)
    io.err.write('ferry: note: the service reads the password from the keychain of the account it runs as, which must be reachable and unlocked without a person (see docs/serve.md)\n');
  io.out.write(definition.text);
  return 0;
}

/** Runs `ferry serve` until SIGINT or SIGTERM; returns the exit code. */
export async function runServe(args: ParsedArgs, io: CommandIo): Promise<number> {
  const [verb, ...rest] = args.positionals;
  if (verb === 'gc') return runGarbage(args, io);
  if (verb === 'password') {
    refuseFlags(
      args.values,
      ['storage', 'bundle', 'files', 'listen', 'quiet', 'dry-run', 'tls', 'name', 'cert', 'key', 'htpasswd', 'password-keychain', 'read-only', 'print-service'],
      'to ferry serve password',
    );
    return runServePassword(rest, args.values, io);
  }
  if (verb !== undefined || rest.length > 0) throw new FerryError('INVALID_ARGUMENT', `ferry serve takes no arguments except gc and password, got "${verb ?? ''}" (see ferry serve --help)`);
  const files = stringFlag(args.values, 'files');
  if (files !== undefined) {
    if (files === '') throw new FerryError('INVALID_ARGUMENT', '--files needs a folder');
    return runFileServer(args, io, files);
  }
  if (args.values['dry-run'] !== undefined) throw new FerryError('INVALID_ARGUMENT', '--dry-run is for ferry serve gc');
  const printKind = stringFlag(args.values, 'print-service');
  // A printed service reads its password itself when it starts (--password-file), so none is read here.
  const input = await serveInput(args.values, io, printKind === undefined);
  if (printKind !== undefined) return printService(printKind, args.values, io);
  const quiet = args.values.quiet === true;
  const { startServe } = await import('../../usecases/serve.ts');
  const handle = await startServe({
    ...input,
    ...(quiet ? {} : { onRequest: ({ method, path, status }: { method: string; path: string; status: number }) => io.err.write(shown`${method} ${path} ${String(status)}\n`) }),
    // Faults and warnings go out even with --quiet: they are what the operator must act on. Never a header (so never a login).
    onError: (error: unknown, { method, path }: { method: string; path: string }) => io.err.write(shown`ferry: error: ${method} ${path}: ${error instanceof Error ? error.message : String(error)}\n`),
    onWarning: (message: string) => io.err.write(shown`ferry: warning: ${message}\n`),
  });
  const what = input.storage !== undefined ? `registry ${handle.storage ?? input.storage}` : `bundle ${resolve(input.bundle ?? '')}`;
  const mode = handle.readOnly ? ' read-only' : '';
  const trust = handle.caFile !== undefined ? ` (CA: ${handle.caFile})` : '';
  io.out.write(shown`serving ${what}${mode} at ${handle.url}${trust}\n`);
  await untilInterrupted();
  await handle.close();
  return 0;
}
