/**
 * `ferry serve --files DIR [--listen HOST:PORT]`: serves a folder read-only
 * over HTTP until Ctrl-C, e.g. the package repository `ferry extract` wrote,
 * for apt-get or dnf on the disconnected side's nodes. The registry half of
 * `ferry serve` (issue 15) joins this command beside `--files`.
 */
import { FerryError } from '../../../src-shared/errors.ts';
import { untilInterrupted } from '../../base/interrupt.ts';
import type { CommandIo, CommandSpec, ParsedArgs } from '../args.ts';
import { shown } from '../terminal-text.ts';

/** Where `ferry serve` listens unless told otherwise: loopback only; a wider address must be asked for. */
const DEFAULT_LISTEN = '127.0.0.1:8080';

/** The flags and help of `ferry serve`. */
export const serveSpec: CommandSpec = {
  name: 'serve',
  usage: 'ferry serve --files DIR [--listen HOST:PORT]',
  summary: 'Serve a folder read-only over HTTP (GET/HEAD, no symlinks), e.g. an extracted package repository for apt-get.',
  flags: {
    files: { type: 'string', value: 'DIR', description: 'the folder to serve as /' },
    listen: { type: 'string', value: 'HOST:PORT', description: `the address to listen on (default ${DEFAULT_LISTEN}; port 0 picks a free one; 0.0.0.0:PORT serves the network)` },
    quiet: { type: 'boolean', description: 'do not print a line per request' },
  },
  examples: ['ferry serve --files /srv/repo/debs', 'ferry serve --files /srv/repo/debs --listen 0.0.0.0:8080'],
};

/** `HOST:PORT` (`[::1]:PORT` for IPv6) split and checked. */
export function parseListen(value: string): { host: string; port: number } {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(value.trim());
  const port = match ? Number(match[3]) : NaN;
  const host = match?.[1] ?? match?.[2];
  if (host === undefined || !Number.isInteger(port) || port > 65_535) throw new FerryError('INVALID_ARGUMENT', `--listen must be HOST:PORT such as 127.0.0.1:8080 or [::1]:8080, got "${value}"`);
  return { host, port };
}

/** Runs `ferry serve` until SIGINT or SIGTERM; returns the exit code. */
export async function runServe(args: ParsedArgs, { out, err }: CommandIo): Promise<number> {
  if (args.positionals.length > 0) throw new FerryError('INVALID_ARGUMENT', 'ferry serve takes no arguments (see ferry serve --help)');
  const files = args.values.files;
  if (typeof files !== 'string' || files === '') throw new FerryError('INVALID_ARGUMENT', '--files DIR is required: ferry serve serves a folder (see ferry serve --help)');
  const { host, port } = parseListen(typeof args.values.listen === 'string' ? args.values.listen : DEFAULT_LISTEN);
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
