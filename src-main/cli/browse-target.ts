/**
 * What `ferry ls` and `ferry cat` are pointed at, from one argument: a
 * registry (`127.0.0.1:5000`), a repository (`127.0.0.1:5000/app`, `nginx`),
 * an image (`…/app:v1`, `…/app@sha256:…`), or the same inside a bundle. A
 * bundle is named as skopeo names an OCI layout — `oci:DIR[:NAME]` — or by a
 * path that is clearly one (`./bundle`, `/media/usb/bundle`, `../b`, `C:\b`,
 * or an existing folder) followed by `:NAME`, where NAME is the image's name
 * in the bundle as `ferry ls ./bundle` lists it (its source reference).
 */
import { statSync } from 'node:fs';
import type { BrowseImageRef, BrowseSource } from '../../src-shared/model/browse.ts';
import { FerryError } from '../../src-shared/errors.ts';
import { parseReference } from '../oci/reference.ts';
import { terminalSafe } from './terminal-text.ts';

/** One argument of `ferry ls` / `ferry cat`, resolved: the source, and the repository or image inside it when one is named. */
export interface BrowseTarget {
  source: BrowseSource;
  /** The repository named (absent: the source itself, to list its repositories). */
  repository?: string;
  /** Set when a tag or digest was given. */
  tag?: string;
  digest?: string;
}

/** Splits a name into repository, tag and digest: a colon after the last slash starts the tag. */
function splitName(name: string): { repository: string; tag?: string; digest?: string } {
  const at = name.indexOf('@');
  const bare = at < 0 ? name : name.slice(0, at);
  const digest = at < 0 ? undefined : name.slice(at + 1);
  const colon = bare.lastIndexOf(':');
  const split = colon > bare.lastIndexOf('/') ? { repository: bare.slice(0, colon), tag: bare.slice(colon + 1) } : { repository: bare };
  return digest === undefined ? split : { ...split, digest };
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** `DIR[:NAME]` of a bundle argument; the colon of a Windows drive (`C:\`) is part of DIR. */
function bundleParts(text: string): { dir: string; name?: string } {
  const from = /^[A-Za-z]:[\\/]/.test(text) ? 2 : 0;
  const colon = text.indexOf(':', from);
  if (colon < 0) return { dir: text };
  const name = text.slice(colon + 1);
  return name === '' ? { dir: text.slice(0, colon) } : { dir: text.slice(0, colon), name };
}

/** True when the argument can only be a path (or names an existing folder), never a registry reference. */
function looksLikeBundle(argument: string): boolean {
  if (/^(?:\.{0,2}[\\/]|~[\\/]?|[A-Za-z]:[\\/])/.test(argument) || argument === '.' || argument === '..') return true;
  return isFolder(argument) || isFolder(bundleParts(argument).dir);
}

/** The bundle target of `DIR[:NAME]`. */
function bundleTarget(text: string): BrowseTarget {
  const { dir, name } = bundleParts(text);
  if (dir === '') throw new FerryError('INVALID_ARGUMENT', `"${text}" names no bundle folder (oci:DIR[:NAME])`, { argument: text });
  const source: BrowseSource = { kind: 'bundle', path: dir };
  return name === undefined ? { source } : { source, ...splitName(name) };
}

/**
 * Reads one `ferry ls` / `ferry cat` argument. A registry is a bare host
 * (`quay.io`, `127.0.0.1:5000`, `localhost`, optionally with a trailing
 * `/`); anything else is a repository or image reference, with Docker's
 * defaults (`nginx` is docker.io/library/nginx).
 */
export function parseBrowseTarget(argument: string): BrowseTarget {
  if (argument.startsWith('oci:')) return bundleTarget(argument.slice('oci:'.length));
  if (looksLikeBundle(argument)) return bundleTarget(argument);
  const host = argument.replace(/\/+$/, '');
  if (!host.includes('/') && (host.includes('.') || host.includes(':') || host === 'localhost')) {
    // Checked by the reference grammar: the host of `HOST/x` must be valid for `HOST` to be.
    const { registry } = parseReference(`${host}/x`);
    return { source: { kind: 'registry', registry } };
  }
  const reference = parseReference(argument);
  const last = argument.slice(argument.lastIndexOf('/') + 1);
  const named = last.includes(':') || argument.includes('@');
  return {
    source: { kind: 'registry', registry: reference.registry },
    repository: reference.repository,
    ...(named && reference.tag !== undefined ? { tag: reference.tag } : {}),
    ...(reference.digest !== undefined ? { digest: reference.digest } : {}),
  };
}

/** The image a target names (`latest` when it names a repository only); a bare registry or bundle is refused by name. */
export function targetImage(target: BrowseTarget, argument: string): BrowseImageRef {
  if (target.repository === undefined) {
    const what = target.source.kind === 'bundle' ? 'a bundle; name an image in it as DIR:NAME (ferry ls DIR lists them)' : 'a registry; name an image in it';
    throw new FerryError('INVALID_ARGUMENT', `"${argument}" is ${what}`, { argument });
  }
  return { repository: target.repository, ...(target.tag !== undefined ? { tag: target.tag } : {}), ...(target.digest !== undefined ? { digest: target.digest } : {}) };
}

/** On a terminal, says why a bundle takes a while before its first line: it is verified in full first (nothing on a pipe, so scripts see only results). */
export function noteBundleCheck(target: BrowseTarget, err: NodeJS.WritableStream): void {
  if (target.source.kind === 'bundle' && (err as { isTTY?: boolean }).isTTY === true) err.write(`verifying ${terminalSafe(target.source.path)} before reading it (every byte)…\n`);
}
