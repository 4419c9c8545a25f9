/**
 * The import wizard's Mirror configuration step: every file `ferry import
 * --mirror-config` writes, as text (`mirror:config`), and the same files
 * written into one folder with their folder layout in one action
 * (`mirror:save`), so containerd's `certs.d/<host>/hosts.toml` files, which
 * share a base name, never overwrite each other. Both use only a verified
 * view of the bundle (see service/import.ts).
 */
import { mkdir } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve, sep } from 'node:path';
import type { MirrorConfigInput, MirrorFile } from '../../src-shared/api/contract.ts';
import { FerryError } from '../../src-shared/errors.ts';
import { writeFileDurable } from '../base/durable-write.ts';
import { renderMirrorConfig } from '../usecases/inspect-bundle.ts';
import type { VerifiedBundles } from '../usecases/verify.ts';
import { argsObject, optionalString, requireString, settingsFrom } from './access.ts';

/** Saved files are the owner's only until installed. */
const SAVED_FILE_MODE = 0o600;

/** Checks the untrusted arguments of `mirror:config` and `mirror:save`. */
export function mirrorConfigInput(raw: unknown): MirrorConfigInput {
  const args = argsObject(raw);
  const input: MirrorConfigInput = { bundle: requireString(args, 'bundle'), target: requireString(args, 'target') };
  if (args.keepRegistryHost === true) input.keepRegistryHost = true;
  const mirrorCa = optionalString(args, 'mirrorCa');
  if (mirrorCa !== undefined) input.mirrorCa = mirrorCa;
  if (args.registry !== undefined && args.registry !== null) {
    const registry = argsObject(args.registry);
    input.registry = {};
    if (registry.plainHttp === true) input.registry.plainHttp = true;
    if (registry.tlsVerify === false) input.registry.tlsVerify = false;
    if (Array.isArray(registry.caCertFiles)) input.registry.caCertFiles = registry.caCertFiles.filter((file): file is string => typeof file === 'string');
    // The login goes into the one file that carries it (Deckhouse's dockerCfg), as `ferry import --mirror-config` writes it.
    const username = optionalString(registry, 'username');
    if (username !== undefined) input.registry.username = username;
    const password = optionalString(registry, 'password');
    if (password !== undefined) input.registry.password = password;
  }
  return input;
}

/** mirror:config — every file, with where it goes on the machine that uses it when the install guide knows. */
export async function mirrorConfig(raw: unknown, verified: VerifiedBundles): Promise<{ files: MirrorFile[] }> {
  const input = mirrorConfigInput(raw);
  const view = await verified.view(input.bundle, 'no mirror configuration is made for it');
  const access = { registry: settingsFrom(input.registry), ...(input.mirrorCa !== undefined ? { mirrorCa: input.mirrorCa } : {}) };
  return { files: await renderMirrorConfig(view, { target: input.target, keepRegistryHost: input.keepRegistryHost === true }, access) };
}

/** Where a generated file lands inside `folder`; a path that would leave it is refused (the paths are Ferry's own, this is a guard). */
function placeIn(folder: string, path: string): string {
  const parts = path.split('/');
  if (isAbsolute(path) || parts.some((part) => part === '' || part === '.' || part === '..'))
    throw new FerryError('INTERNAL', `mirror configuration file ${path} has no plain relative path`, { path });
  const placed = resolve(folder, ...parts);
  if (!placed.startsWith(resolve(folder) + sep)) throw new FerryError('INTERNAL', `mirror configuration file ${path} would be written outside ${folder}`, { path });
  return placed;
}

/** mirror:save — writes every file under `folder` at its relative path (durably, each replacing an older one), and lists what it wrote. */
export async function saveMirrorConfig(raw: unknown, verified: VerifiedBundles): Promise<{ folder: string; written: string[] }> {
  const folder = requireString(argsObject(raw), 'folder').trim();
  if (!isAbsolute(folder)) throw new FerryError('INVALID_ARGUMENT', `choose the folder to save into as an absolute path, not ${folder}`, { argument: 'folder' });
  const { files } = await mirrorConfig(raw, verified);
  const written: string[] = [];
  for (const file of files) {
    const target = placeIn(folder, file.path);
    await mkdir(dirname(target), { recursive: true });
    // Owner-only: a file may carry the registry login (Deckhouse's dockerCfg); the install commands set the mode each file needs.
    await writeFileDurable(target, file.text, { mode: SAVED_FILE_MODE });
    written.push(join(folder, ...file.path.split('/')));
  }
  return { folder, written };
}
