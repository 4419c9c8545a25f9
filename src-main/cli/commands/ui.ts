/**
 * `ferry ui`: browser mode (DESIGN.md decision 2). Serves the built renderer
 * and the API on 127.0.0.1 behind a random session token, for machines
 * without the desktop app (headless import stations, the e2e tests).
 */
import { FerryError } from '../../../src-shared/errors.ts';
import type { CommandIo, CommandSpec, ParsedArgs } from '../args.ts';
import { catalogFlag } from '../catalog-flags.ts';

/** The flags and help of `ferry ui`. */
export const uiSpec: CommandSpec = {
  name: 'ui',
  usage: 'ferry ui [--port N] [--catalog FILE] [--no-open]',
  summary: 'Open Ferry in a web browser (browser mode): the app on 127.0.0.1 behind a session token.',
  flags: {
    port: { type: 'string', value: 'N', description: 'the port on 127.0.0.1 (default: a free one)' },
    'no-open': {
      type: 'boolean',
      description: "print the address but do not open a browser (else $BROWSER, or the desktop's default, is given a private redirect file: the address is never in its arguments)",
    },
    ...catalogFlag,
  },
  examples: ['ferry ui', 'ferry ui --port 8377 --no-open'],
};

/** Runs `ferry ui` until Ctrl-C; returns the exit code. */
export async function runUi(args: ParsedArgs, { out, err }: CommandIo): Promise<number> {
  if (args.positionals.length > 0) throw new FerryError('INVALID_ARGUMENT', 'ferry ui takes no arguments (see ferry ui --help)');
  const portFlag = args.values.port;
  let port: number | undefined;
  if (typeof portFlag === 'string') {
    port = Number(portFlag);
    if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new FerryError('INVALID_ARGUMENT', `--port must be a port number, got "${portFlag}"`);
  }
  const catalog = args.values.catalog;
  // The server, the service and every use case load only when the app is asked for, so other commands start fast.
  const { runBrowserMode } = await import('../../server/browser-mode.ts');
  return runBrowserMode({
    open: args.values['no-open'] !== true,
    out,
    err,
    ...(port !== undefined ? { port } : {}),
    ...(typeof catalog === 'string' ? { catalogPath: catalog } : {}),
  });
}
