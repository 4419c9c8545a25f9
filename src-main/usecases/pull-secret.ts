/**
 * The app's pull-secret merge (issue 17): `ferry import --pull-secret` merges
 * the mirror's login into the cluster's pull secret in place after the push;
 * the wizard instead offers the merged file to save (the original stays as
 * the cluster gave it), keyed by the target's registry host as the CLI keys it.
 */
import { lstat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { FerryError } from '../../src-shared/errors.ts';
import { mergePullSecretInto } from '../mirror-config/pull-secret.ts';
import { parseRegistryPrefix } from '../oci/reference.ts';

/** What the merge needs: the secret to read, where to save the merged copy, the import target and the cluster's login for the mirror. */
export interface PullSecretMerge {
  file: string;
  saveAs: string;
  target: string;
  username: string;
  password: string;
}

/** Merges and saves; answers where, under which registry key, and every registry the saved secret has a login for (never a secret). */
export async function savePullSecretWithMirror(input: PullSecretMerge): Promise<{ saved: string; registry: string; registries: string[] }> {
  for (const [argument, path] of [
    ['file', input.file],
    ['saveAs', input.saveAs],
  ] as const) {
    if (!isAbsolute(path))
      throw new FerryError('INVALID_ARGUMENT', `give the ${argument === 'file' ? 'pull secret file' : 'file to save the merged pull secret as'} as a full path, not ${path}`, { argument });
  }
  if (input.username === '') throw new FerryError('INVALID_ARGUMENT', 'type the user name the cluster pulls from the mirror with', { argument: 'username' });
  if (input.password === '') throw new FerryError('INVALID_ARGUMENT', 'type the password the cluster pulls from the mirror with', { argument: 'password' });
  // The original stays as the cluster gave it, and no other file (a login file, an earlier merge) is replaced.
  if (resolve(input.saveAs) === resolve(input.file))
    throw new FerryError('INVALID_ARGUMENT', `save the merged pull secret under another name than ${input.file}: the original stays as the cluster gave it`, { argument: 'saveAs' });
  if (
    await lstat(input.saveAs).then(
      () => true,
      () => false,
    )
  )
    throw new FerryError('INVALID_ARGUMENT', `${input.saveAs} already exists: choose another name for the merged pull secret`, { argument: 'saveAs', path: input.saveAs });
  const { registry } = parseRegistryPrefix(input.target);
  const registries = await mergePullSecretInto(input.file, input.saveAs, registry, { username: input.username, password: input.password });
  return { saved: input.saveAs, registry, registries };
}
