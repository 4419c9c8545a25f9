/**
 * The export wizard's checks of typed values, run on the step where each is
 * typed (issue 17: a part size "abc" used to fail only after Start), and its
 * memory of the access that worked per registry host, so a plain-HTTP
 * registry does not have to be ticked again on every export.
 */
import type { RegistrySetting } from '../../src-shared/api/contract.ts';
import { parseSize } from '../../src-shared/units.ts';
import type { AccessForm } from './export-store.ts';

/** Why the part size typed cannot be used, in words; undefined when it is fine (or not used: no archive form, or empty for the default). */
export function partSizeProblem(archive: boolean, partSize: string): string | undefined {
  if (!archive || partSize.trim() === '') return undefined;
  try {
    if (parseSize(partSize) > 0) return undefined;
    return 'A part size must be more than 0 bytes.';
  } catch {
    return `“${partSize.trim()}” is not a size: type a number with a unit, for example 4GiB or 700MB.`;
  }
}

/** Where the remembered access lives: per browser profile (the app's own window in the desktop app), never any credential. */
const STORAGE_KEY = 'ferry.export.access-by-host.v1';

/** The registry host of a reference (`host[:port]/repo…`); Docker-style short names are docker.io's. */
export function hostOf(reference: string): string {
  const text = reference.trim().replace(/^[a-z]+:\/\//i, '');
  const first = text.split('/')[0] ?? '';
  return text.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost') ? first.toLowerCase() : 'docker.io';
}

/** The part of the Web Storage API used here (typed locally: unit tests run this file under Node, where there is none). */
interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}
const storage = (): KeyValueStore | undefined => (globalThis as { localStorage?: KeyValueStore }).localStorage;

type Remembered = Record<string, Pick<RegistrySetting, 'plainHttp' | 'tlsVerify' | 'caCertFile' | 'authFile'>>;

function readAll(): Remembered {
  try {
    const parsed: unknown = JSON.parse(storage()?.getItem(STORAGE_KEY) ?? '{}');
    return typeof parsed === 'object' && parsed !== null ? (parsed as Remembered) : {};
  } catch {
    return {};
  }
}

/** The access last used with success for the host of `reference`, as a registry setting, or undefined. */
export function rememberedAccess(reference: string): RegistrySetting | undefined {
  if (reference.trim() === '') return undefined;
  const host = hostOf(reference);
  const entry = readAll()[host];
  if (!entry || typeof entry.plainHttp !== 'boolean' || typeof entry.tlsVerify !== 'boolean') return undefined;
  const setting: RegistrySetting = { address: host, plainHttp: entry.plainHttp, tlsVerify: entry.tlsVerify };
  if (typeof entry.caCertFile === 'string' && entry.caCertFile) setting.caCertFile = entry.caCertFile;
  if (typeof entry.authFile === 'string' && entry.authFile) setting.authFile = entry.authFile;
  return setting;
}

/** Remembers the access (never the user name or password) for the hosts of `references`, after it planned without problems. */
export function rememberAccess(references: readonly string[], access: AccessForm): void {
  if (references.length === 0) return;
  const all = readAll();
  for (const reference of references) {
    all[hostOf(reference)] = { plainHttp: access.plainHttp, tlsVerify: access.tlsVerify, caCertFile: access.caCertFile.trim(), authFile: access.authFile.trim() };
  }
  try {
    storage()?.setItem(STORAGE_KEY, JSON.stringify(all));
  } catch {
    // Storage full or refused: the next export asks again, nothing else changes.
  }
}
