/**
 * The app's settings (registries the user works with, export defaults) as one
 * JSON file in the user's data folder, beside the catalog. No secret is ever
 * written: a `password` key anywhere is refused, and so is any key the
 * contract does not declare, so a credential cannot slip in under another name.
 * Credentials live in the auth file the user names (containers-auth.json(5)).
 */
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { FerrySettings } from '../../src-shared/api/contract.ts';
import { FerryError } from '../../src-shared/errors.ts';
import { schemaProblems } from '../../src-shared/schemas/document.ts';
import { SETTINGS_DOCUMENT, SettingsSchema } from '../../src-shared/schemas/settings.ts';
import { readJsonFile } from '../base/json-file.ts';
import { writeFileDurable } from '../base/durable-write.ts';
import { argsObject } from './access.ts';

/** The settings file's name, in the catalog's folder. */
export const SETTINGS_FILE = 'settings.json';

/** Only the owner reads the file: it names registries and paths to credential files. */
const SETTINGS_MODE = 0o600;

/** Settings before the user saved any. */
export function emptySettings(): FerrySettings {
  return { registries: [], defaults: {} };
}

/** Where the settings of a catalog live: `dirname(catalogPath)/settings.json`. */
export function settingsPathFor(catalogPath: string): string {
  return join(dirname(catalogPath), SETTINGS_FILE);
}

/** Refuses a password before anything else, naming where the value was but never echoing it. */
function refusePasswords(value: unknown, at: string): void {
  if (typeof value !== 'object' || value === null) return;
  for (const [key, inner] of Object.entries(value)) {
    const path = Array.isArray(value) ? `${at}[${key}]` : at === '' ? key : `${at}.${key}`;
    if (key.toLowerCase() === 'password') {
      throw new FerryError('INVALID_ARGUMENT', 'Ferry never stores passwords: name an auth file (containers auth.json, as "podman login" writes it) instead', { argument: path });
    }
    refusePasswords(inner, path);
  }
}

/** Checks untrusted settings (a `settings:save` call) and normalises them; a problem is INVALID_ARGUMENT naming the field. */
export function checkSettings(raw: unknown): FerrySettings {
  refusePasswords(raw, '');
  const result = SettingsSchema.safeParse(argsObject(raw));
  if (result.success) return result.data;
  const [first] = schemaProblems(result.error);
  const argument = (first?.path ?? '$').replace(/^\$\.?/, '');
  throw new FerryError('INVALID_ARGUMENT', `settings${argument === '' ? '' : ` ${argument}`}: ${first?.message ?? 'invalid'}`, { argument });
}

/**
 * settings:get — the saved settings, or empty ones before the first save. The
 * file is read strictly and checked against the same schema (a `password` key
 * is refused there as any undeclared key is); a malformed one is INVALID_CONTENT naming the JSON path.
 */
export async function readSettings(path: string): Promise<FerrySettings> {
  return (await readJsonFile(path, SETTINGS_DOCUMENT)) ?? emptySettings();
}

/** The host of a saved registry address (`host[:port][/prefix]`), Docker Hub's aliases folded into `docker.io` as references name it. */
function addressHost(address: string): string {
  const host = address.split('/')[0] ?? address;
  return host === 'index.docker.io' || host === 'registry-1.docker.io' ? 'docker.io' : host;
}

/**
 * The request rate saved for a registry host (Settings → Registries), read
 * when a job opens its client for that host: the strictest of the entries on
 * that host (one per prefix may exist), undefined when none sets one.
 */
export function savedRateLimitFor(settingsPath: string): (host: string) => Promise<number | undefined> {
  return async (host) => {
    const wanted = addressHost(host);
    const rates = (await readSettings(settingsPath)).registries.flatMap((entry) => (entry.rateLimit !== undefined && addressHost(entry.address) === wanted ? [entry.rateLimit] : []));
    return rates.length > 0 ? Math.min(...rates) : undefined;
  };
}

/**
 * settings:save — checks, then writes durably (temp file, fsync, rename), so
 * a crash never leaves a half-written file.
 */
export async function saveSettings(path: string, raw: unknown): Promise<{ saved: true }> {
  const settings = checkSettings(raw);
  await mkdir(dirname(path), { recursive: true });
  await writeFileDurable(path, `${JSON.stringify(settings, null, 2)}\n`, { mode: SETTINGS_MODE });
  return { saved: true };
}
