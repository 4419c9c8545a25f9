/**
 * The app's own registry (issue 15, "The app"): `serve:start`, `serve:stop`
 * and `serve:status` over `startServe` (usecases/serve.ts), keeping at most
 * one running per service. A start remembers its settings (never the
 * password: its one user goes into an htpasswd file of bcrypt hashes beside
 * the settings), so Settings' "start it with the app" can start the same
 * registry again when the app opens. Every change is pushed as `serve:state`.
 */
import { readFile, rename, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import type { ServeRunning, ServeStartInput, ServeStatus } from '../../src-shared/api/contract.ts';
import { FerryError } from '../../src-shared/errors.ts';
import { CONTROL_OR_INVISIBLE_CLASS, visibleEscape } from '../../src-shared/printable-text.ts';
import { ioError } from '../base/fs-errors.ts';
import type { ServeInput, ServeHandle } from '../usecases/serve.ts';
import { appStoreStats, writeAppHtpasswd } from '../usecases/serve-app.ts';
import { argsObject, optionalString, requireString } from './access.ts';
import { readSettings, saveSettings } from './settings.ts';

/** The htpasswd file of the app's registry user, beside settings.json. */
export const APP_HTPASSWD_FILE = 'registry.htpasswd';

/** Every interface: the registry is for the cluster nodes of the site, not only this machine. */
const DEFAULT_LISTEN = '0.0.0.0';

/** What the service needs to keep its registry: where settings live, and how to tell front ends. */
export interface AppRegistryOptions {
  settingsPath: string;
  emit: (status: ServeStatus) => void;
  /** Where the registry's faults (a 500's cause) and warnings go; default standard error, which is the app's log (the Electron main process's output). */
  log?: (line: string) => void;
}

/** Control and invisible characters (a client's path may hold any) shown as escapes, so a log line cannot forge others or hide text. */
function visibleLine(text: string): string {
  return text.replace(new RegExp(`[${CONTROL_OR_INVISIBLE_CLASS}]`, 'gu'), visibleEscape);
}

/** Checks `serve:start`'s untrusted arguments. */
export function serveStartInput(raw: unknown): ServeStartInput {
  const args = argsObject(raw);
  const storage = requireString(args, 'storage').trim();
  if (!isAbsolute(storage)) throw new FerryError('INVALID_ARGUMENT', `the storage folder must be an absolute path, not ${storage}`, { argument: 'storage' });
  const port = args.port ?? 0;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535)
    throw new FerryError('INVALID_ARGUMENT', 'the port must be a whole number from 0 to 65535', { argument: 'port' });
  const input: ServeStartInput = { storage, port, tls: args.tls !== false };
  const listen = optionalString(args, 'listen')?.trim();
  if (listen) input.listen = listen;
  const name = optionalString(args, 'name')?.trim();
  if (name) input.name = name;
  if (args.user !== undefined && args.user !== null) {
    const user = argsObject(args.user);
    const userName = optionalString(user, 'name')?.trim();
    const password = typeof user.password === 'string' ? user.password : '';
    if (userName && password === '') throw new FerryError('INVALID_ARGUMENT', `type a password for the registry user ${userName}`, { argument: 'user.password' });
    if (userName) input.user = { name: userName, password };
  }
  if (input.user === undefined && !isLoopback(input.listen ?? DEFAULT_LISTEN))
    throw new FerryError(
      'INVALID_ARGUMENT',
      `a registry other machines can reach (listening on ${input.listen ?? DEFAULT_LISTEN}) needs a user: without one anyone on the network could push and delete images. Type a user and password, or listen on 127.0.0.1 only`,
      { argument: 'user.name' },
    );
  return input;
}

/** Whether only this machine can reach the address: the app allows a registry without a user only there. */
function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  return bare === 'localhost' || bare === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(bare);
}

/** Brackets an IPv6 literal for `host:port`. */
function hostPort(host: string, port: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The service's one registry: started, stopped and described here. */
export class AppRegistry {
  private handle: ServeHandle | undefined;
  private running: ServeRunning | undefined;
  private problem: string | null = null;
  /** Starts and stops run one after another, so two clicks never start two registries. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: AppRegistryOptions) {}

  private get htpasswdPath(): string {
    return join(dirname(this.options.settingsPath), APP_HTPASSWD_FILE);
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** serve:start — stops a running one first (one registry per app), starts this one, remembers its settings. */
  async start(raw: unknown): Promise<ServeRunning> {
    const input = serveStartInput(raw);
    return this.serial(async () => {
      if (!input.user) {
        const running = await this.launch(input, undefined);
        await this.remember(input, running);
        return running;
      }
      // The new login goes to a temp file beside the old one and replaces it only once the registry started on it: a failed start keeps the saved login.
      const next = `${this.htpasswdPath}.next`;
      await writeAppHtpasswd(next, input.user.name, input.user.password);
      let running: ServeRunning;
      try {
        running = await this.launch(input, input.user.name, next);
      } catch (error) {
        await rm(next, { force: true }).catch(() => undefined);
        throw error;
      }
      try {
        await rename(next, this.htpasswdPath);
      } catch (error) {
        await this.shutdown();
        await rm(next, { force: true }).catch(() => undefined);
        this.problem = `Ferry's registry was stopped: its login file ${this.htpasswdPath} could not be replaced`;
        this.options.emit(await this.status());
        throw ioError('replace the registry login file', this.htpasswdPath, error);
      }
      await this.remember(input, running);
      return running;
    });
  }

  /** serve:stop — closes the registry; the store stays as it is. */
  stop(): Promise<{ stopped: boolean }> {
    return this.serial(async () => {
      const stopped = await this.shutdown();
      this.problem = null;
      this.options.emit(await this.status());
      return { stopped };
    });
  }

  /** serve:status — where it runs and what its store holds (read now, never polled in the background). */
  async status(): Promise<ServeStatus> {
    const status: ServeStatus = { running: this.running !== undefined, problem: this.problem, hostName: hostname() };
    if (!this.running) return status;
    status.registry = this.running;
    try {
      status.stats = await appStoreStats(this.running.storage);
    } catch {
      // The numbers are a courtesy of the start screen: a store that cannot be counted still serves.
    }
    return status;
  }

  /** Starts the registry Settings saved when "start it with the app" is on; a failure is kept as `problem`, never thrown. */
  autoStart(): Promise<void> {
    return this.serial(async () => {
      const saved = (await readSettings(this.options.settingsPath).catch(() => undefined))?.serve;
      if (!saved?.startWithApp) return;
      const input: ServeStartInput = { storage: saved.storage, port: saved.port, tls: saved.tls };
      if (saved.listen !== undefined) input.listen = saved.listen;
      if (saved.name !== undefined) input.name = saved.name;
      try {
        await this.launch(input, saved.user);
      } catch {
        // launch() kept the reason in `problem` and told the front ends.
      }
    });
  }

  /** Closes the registry when the service closes, after any start under way. */
  close(): Promise<boolean> {
    return this.serial(() => this.shutdown());
  }

  private shutdown(): Promise<boolean> {
    const handle = this.handle;
    this.handle = undefined;
    this.running = undefined;
    return handle ? handle.close().then(() => true) : Promise.resolve(false);
  }

  /** Starts `startServe` for the input; `user` names the htpasswd file's one user (absent: anonymous), read from `htpasswd` (default: the saved one). */
  private async launch(input: ServeStartInput, user: string | undefined, htpasswd = this.htpasswdPath): Promise<ServeRunning> {
    await this.shutdown();
    const listen = input.listen ?? DEFAULT_LISTEN;
    const name = input.name ?? hostname();
    const serve: ServeInput = { storage: input.storage, listen: { host: listen, port: input.port } };
    // startServe adds the listen address (and localhost on loopback) to the certificate's names.
    if (input.tls) serve.tls = { mode: 'auto', names: [name] };
    if (user !== undefined) serve.htpasswd = htpasswd;
    // As `ferry serve` prints them: the cause of a fault the client was only told to look up in the server log, and what the operator should fix. Never a header, so never a login.
    const log = this.options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
    serve.onError = (error, { method, path }) => log(`ferry registry: error: ${visibleLine(`${method} ${path}: ${error instanceof Error ? error.message : String(error)}`)}`);
    serve.onWarning = (message) => log(`ferry registry: warning: ${visibleLine(message)}`);
    try {
      const { startServe } = await import('../usecases/serve.ts');
      this.handle = await startServe(serve);
    } catch (error) {
      this.problem = `Ferry's registry did not start: ${error instanceof Error ? error.message : String(error)}`;
      this.options.emit(await this.status());
      throw error;
    }
    const port = new URL(this.handle.url).port || (input.tls ? '443' : '80');
    const running: ServeRunning = { address: hostPort(name, port), url: `${input.tls ? 'https' : 'http'}://${hostPort(name, port)}`, storage: input.storage, tls: input.tls };
    if (this.handle.caFile !== undefined) {
      running.caFile = this.handle.caFile;
      running.caPem = this.handle.caPem ?? (await readFile(this.handle.caFile, 'utf8'));
    }
    if (user !== undefined) running.user = user;
    this.running = running;
    this.problem = null;
    this.options.emit(await this.status());
    return running;
  }

  /** Saves what was started (with the port it got), keeping the user's "start with the app" choice. */
  private async remember(input: ServeStartInput, running: ServeRunning): Promise<void> {
    const settings = await readSettings(this.options.settingsPath);
    const port = Number(new URL(running.url).port || (input.tls ? 443 : 80));
    const serve: NonNullable<typeof settings.serve> = { storage: input.storage, port, tls: input.tls, startWithApp: settings.serve?.startWithApp ?? false };
    if (input.listen !== undefined) serve.listen = input.listen;
    if (input.name !== undefined) serve.name = input.name;
    if (input.user !== undefined) serve.user = input.user.name;
    await saveSettings(this.options.settingsPath, { ...settings, serve });
  }
}
