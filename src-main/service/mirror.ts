/**
 * The import wizard's Mirror configuration step: every file `ferry import
 * --mirror-config` writes, as text (`mirror:config`), and the same files
 * written into one folder with their folder layout in one action
 * (`mirror:save`), so containerd's `certs.d/<host>/hosts.toml` files, which
 * share a base name, never overwrite each other. Both use only a verified
 * view of the bundle (see service/import.ts).
 */
import { isAbsolute, join } from 'node:path';
import type { MirrorConfigInput, MirrorFile, MirrorSaveResult } from '../../src-shared/api/contract.ts';
import { FerryError } from '../../src-shared/errors.ts';
import { renderMirrorConfig, saveMirrorConfigFiles, type MirrorAccess } from '../usecases/inspect-bundle.ts';
import type { VerifiedBundles } from '../usecases/verify.ts';
import { argsObject, optionalString, requireString, settingsFrom } from './access.ts';
import { maxNestedPathsArg } from './registries.ts';

/** Where the images land, as the import places them. */
function placementOf(input: MirrorConfigInput): { target: string; keepRegistryHost: boolean; maxNestedPaths?: number } {
  return { target: input.target, keepRegistryHost: input.keepRegistryHost === true, ...(input.maxNestedPaths !== undefined ? { maxNestedPaths: input.maxNestedPaths } : {}) };
}

/** Checks the untrusted arguments of `mirror:config` and `mirror:save`. */
export function mirrorConfigInput(raw: unknown): MirrorConfigInput {
  const args = argsObject(raw);
  const input: MirrorConfigInput = { bundle: requireString(args, 'bundle'), target: requireString(args, 'target') };
  if (args.keepRegistryHost === true) input.keepRegistryHost = true;
  const maxNestedPaths = maxNestedPathsArg(args);
  if (maxNestedPaths !== undefined) input.maxNestedPaths = maxNestedPaths;
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
  return { files: await renderMirrorConfig(view, placementOf(input), accessOf(input)) };
}

/** How the import reaches the mirror, from the checked input. */
function accessOf(input: MirrorConfigInput): MirrorAccess {
  return { registry: settingsFrom(input.registry), ...(input.mirrorCa !== undefined ? { mirrorCa: input.mirrorCa } : {}) };
}

/**
 * mirror:save — writes every file under `folder` at its relative path through
 * the import's one writer (writeMirrorConfig), so modes, portable folder
 * names, refusal of a symlinked folder, removal of an earlier run's files and
 * errors naming the file are those of `ferry import --mirror-config`; lists
 * what it wrote.
 */
export async function saveMirrorConfig(raw: unknown, verified: VerifiedBundles): Promise<MirrorSaveResult> {
  const folder = requireString(argsObject(raw), 'folder').trim();
  if (!isAbsolute(folder)) throw new FerryError('INVALID_ARGUMENT', `choose the folder to save into as an absolute path, not ${folder}`, { argument: 'folder' });
  const input = mirrorConfigInput(raw);
  const view = await verified.view(input.bundle, 'no mirror configuration is made for it');
  const { written } = await saveMirrorConfigFiles(view, placementOf(input), accessOf(input), folder);
  // The wizard saves after the push: the saved files are read back and every image asked for where a runtime would ask (the import's mapping check).
  const { checkSavedMapping } = await import('../usecases/mirror-check.ts');
  const check = await checkSavedMapping(folder, input.target, view, accessOf(input).registry ?? {});
  return { folder, written: written.map((path) => join(folder, ...path.split('/'))), ...(check ? { check } : {}) };
}

/** pullsecret:merge — checks the untrusted arguments, merges the mirror's login into a copy of the pull secret; the answer never holds the password. */
export async function mergePullSecret(raw: unknown): Promise<{ saved: string; registry: string; registries: string[] }> {
  const args = argsObject(raw);
  const { savePullSecretWithMirror } = await import('../usecases/pull-secret.ts');
  return savePullSecretWithMirror({
    file: requireString(args, 'file').trim(),
    saveAs: requireString(args, 'saveAs').trim(),
    target: requireString(args, 'target').trim(),
    username: requireString(args, 'username').trim(),
    password: requireString(args, 'password'),
  });
}
