/**
 * The app's settings (registries the user works with, export defaults) as one
 * JSON file in the user's data folder, beside the catalog. No secret is ever
 * written: a `password` key anywhere is refused, and so is any key the
 * contract does not declare, so a credential cannot slip in under another name.
 * Credentials live in the auth file the user names (containers-auth.json(5)).
 */
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { FerrySettings, RegistrySetting } from '../../src-shared/api/contract.ts';
import { FerryError } from '../../src-shared/errors.ts';
import { parseSize } from '../../src-shared/units.ts';
import { writeFileDurable } from '../base/durable-write.ts';
import { argsObject } from './access.ts';

/** The settings file's name, in the catalog's folder. */
export const SETTINGS_FILE = 'settings.json';

/** Only the owner reads the file: it names registries and paths to credential files. */
const SETTINGS_MODE = 0o600;

/** Keys each object may hold; anything else is refused rather than silently stored. */
const REGISTRY_KEYS = new Set(['address', 'plainHttp', 'tlsVerify', 'caCertFile', 'authFile']);
const TOP_KEYS = new Set(['registries', 'defaults']);
const DEFAULTS_KEYS = new Set(['partSize', 'archive']);

/** Settings before the user saved any. */
export function emptySettings(): FerrySettings {
  return { registries: [], defaults: {} };
}

/** Where the settings of a catalog live: `dirname(catalogPath)/settings.json`. */
export function settingsPathFor(catalogPath: string): string {
  return join(dirname(catalogPath), SETTINGS_FILE);
}

function invalid(message: string, argument: string): FerryError {
  return new FerryError('INVALID_ARGUMENT', message, { argument });
}

/** Refuses a password before anything else, naming where the value was but never echoing it. */
function refusePasswords(value: unknown, at: string): void {
  if (typeof value !== 'object' || value === null) return;
  for (const [key, inner] of Object.entries(value)) {
    const path = Array.isArray(value) ? `${at}[${key}]` : at === '' ? key : `${at}.${key}`;
    if (key.toLowerCase() === 'password') {
      throw invalid('Ferry never stores passwords: name an auth file (containers auth.json, as "podman login" writes it) instead', path);
    }
    refusePasswords(inner, path);
  }
}

function checkKeys(value: Record<string, unknown>, allowed: Set<string>, at: string): void {
  for (const key of Object.keys(value)) {
    if (!allowed.has(key)) throw invalid(`${at === '' ? 'settings' : at} cannot hold "${key}"`, at === '' ? key : `${at}.${key}`);
  }
}

function optionalBoolean(value: unknown, fallback: boolean, at: string): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw invalid(`${at} must be true or false`, at);
  return value;
}

function optionalPath(value: unknown, at: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalid(`${at} must be a file path`, at);
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

/** One registry entry, normalised: address trimmed and without a trailing slash. */
function registrySetting(raw: unknown, at: string): RegistrySetting {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw invalid(`${at} must be an object`, at);
  const entry = raw as Record<string, unknown>;
  checkKeys(entry, REGISTRY_KEYS, at);
  if (typeof entry.address !== 'string' || entry.address.trim() === '') throw invalid(`${at}.address is required`, `${at}.address`);
  const address = entry.address.trim().replace(/\/+$/, '');
  if (/^[a-z]+:\/\//i.test(address)) throw invalid('write the registry address without a scheme (registry.example.com:5000); tick plain HTTP for a registry without TLS', `${at}.address`);
  if (/\s/.test(address)) throw invalid(`${at}.address cannot contain spaces`, `${at}.address`);
  const setting: RegistrySetting = {
    address,
    plainHttp: optionalBoolean(entry.plainHttp, false, `${at}.plainHttp`),
    tlsVerify: optionalBoolean(entry.tlsVerify, true, `${at}.tlsVerify`),
  };
  const caCertFile = optionalPath(entry.caCertFile, `${at}.caCertFile`);
  if (caCertFile !== undefined) setting.caCertFile = caCertFile;
  const authFile = optionalPath(entry.authFile, `${at}.authFile`);
  if (authFile !== undefined) setting.authFile = authFile;
  return setting;
}

/** Checks untrusted settings (a `settings:save` call, or the file read back) and normalises them. */
export function checkSettings(raw: unknown): FerrySettings {
  refusePasswords(raw, '');
  const input = argsObject(raw);
  checkKeys(input, TOP_KEYS, '');
  const list = input.registries ?? [];
  if (!Array.isArray(list)) throw invalid('registries must be a list', 'registries');
  const registries = list.map((entry, index) => registrySetting(entry, `registries[${index}]`));
  const seen = new Set<string>();
  for (const entry of registries) {
    if (seen.has(entry.address)) throw invalid(`${entry.address} is listed twice`, 'registries');
    seen.add(entry.address);
  }
  const rawDefaults = input.defaults ?? {};
  if (typeof rawDefaults !== 'object' || rawDefaults === null || Array.isArray(rawDefaults)) throw invalid('defaults must be an object', 'defaults');
  const given = rawDefaults as Record<string, unknown>;
  checkKeys(given, DEFAULTS_KEYS, 'defaults');
  const defaults: FerrySettings['defaults'] = {};
  const partSize = optionalPath(given.partSize, 'defaults.partSize');
  if (partSize !== undefined) {
    parseSize(partSize); // throws the size parser's own INVALID_ARGUMENT with the accepted forms
    defaults.partSize = partSize;
  }
  if (given.archive !== undefined) defaults.archive = optionalBoolean(given.archive, false, 'defaults.archive');
  return { registries, defaults };
}

/** settings:get — the saved settings, or empty ones before the first save. */
export async function readSettings(path: string): Promise<FerrySettings> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return emptySettings();
    throw new FerryError('IO_ERROR', `cannot read the settings file ${path}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new FerryError('IO_ERROR', `the settings file ${path} is not valid JSON; fix or delete it`);
  }
  return checkSettings(parsed);
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
