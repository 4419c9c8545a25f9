/**
 * A registry address or image reference must not carry a login
 * (`user:pass@host`): from there it would reach job titles, events, logs,
 * error messages and the catalog. One check, shared by the settings schema,
 * the reference parser and the front ends, refuses it without ever echoing
 * the value.
 */
import { FerryError } from './errors.ts';

/** What every refusal says: names the problem and the way out, never the value. */
export const USER_INFO_MESSAGE = 'carries a user name/password (user:password@host); give the registry as host[:port][/path] and the login separately';

/** True when a registry address (`host[:port][/prefix]`, as settings and import targets take it) holds user info: an address never has an "@". */
export function addressCarriesUserInfo(address: string): boolean {
  return address.includes('@');
}

/**
 * True when an image reference has user info in front of its host. A digest
 * (`@sha256:…`) comes after the path and holds no "/", so an "@" followed by
 * a "/" is a login; so is `user:password@host:5000`, whose part after the
 * "@" is a host, not a digest.
 */
export function referenceCarriesUserInfo(reference: string): boolean {
  const at = reference.indexOf('@');
  if (at < 0) return false;
  const before = reference.slice(0, at);
  const after = reference.slice(at + 1);
  if (after.includes('/')) return true;
  if (before.includes('/') || after === '') return false;
  return !looksLikeDigest(after);
}

/** `algorithm:encoded` as digests are written: a known algorithm family, or an encoded part far longer than any port. */
function looksLikeDigest(text: string): boolean {
  const match = /^([a-z0-9]+(?:[+._-][a-z0-9]+)*):([a-zA-Z0-9=_-]+)$/.exec(text);
  if (!match) return false;
  return /^(?:sha|blake)/.test(match[1] ?? '') || (match[2] ?? '').length >= 32;
}

/** Refuses `value` (a registry address, or an image reference when `kind` is 'reference') that carries a login; `argument` names the field or flag. */
export function refuseUserInfo(value: string, argument: string, kind: 'address' | 'reference' = 'address', code: 'INVALID_ARGUMENT' | 'INVALID_REFERENCE' = 'INVALID_ARGUMENT'): void {
  const carries = kind === 'address' ? addressCarriesUserInfo(value) : referenceCarriesUserInfo(value);
  if (carries) throw new FerryError(code, `${argument} ${USER_INFO_MESSAGE}`, { argument, part: 'user info' });
}
