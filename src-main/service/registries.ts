/**
 * The import wizard's "Check registry" (`registry:check`) as the contract's
 * adapter over usecases/import-preflight.ts: the untrusted arguments checked,
 * the bundle's verified view (the wizard's last one, else verified now), and
 * the answer the target step shows. Also the one reader of the wizard's
 * "Keep paths at most N levels deep" for every call that places images
 * (import:run, import:inspect, mirror:config, bundle:review).
 */
import type { RegistryCheckAnswer } from '../../src-shared/api/contract.ts';
import { FerryError } from '../../src-shared/errors.ts';
import { refuseUserInfo } from '../../src-shared/registry-address.ts';
import { checkRegistryForBundle } from '../usecases/import-preflight.ts';
import { MAX_NESTED_PATHS_CEILING } from '../usecases/import.ts';
import type { VerifiedBundles } from '../usecases/verify.ts';
import { argsObject, optionalString, requireString, settingsFrom, type SavedLogin } from './access.ts';

/** The optional `maxNestedPaths` argument: a whole number from 1 to the ceiling, or absent. */
export function maxNestedPathsArg(args: Record<string, unknown>): number | undefined {
  const value = args.maxNestedPaths;
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_NESTED_PATHS_CEILING) {
    throw new FerryError('INVALID_ARGUMENT', `maxNestedPaths must be a whole number from 1 to ${MAX_NESTED_PATHS_CEILING}`, { argument: 'maxNestedPaths' });
  }
  return value;
}

/** registry:check — the registry's capabilities and, with a bundle, what of it the registry cannot take and which fixes would help. */
export async function registryCheck(raw: unknown, verified: VerifiedBundles, savedLogin?: SavedLogin, signal?: AbortSignal): Promise<RegistryCheckAnswer> {
  const args = argsObject(raw);
  const target = requireString(args, 'target').trim();
  refuseUserInfo(target, 'target');
  const bundle = optionalString(args, 'bundle');
  const view = bundle !== undefined && bundle.trim() !== '' ? await verified.view(bundle, 'the registry cannot be checked against it') : undefined;
  const answer = await checkRegistryForBundle(target, view, { keepRegistryHost: args.keepRegistryHost === true }, settingsFrom(args.access, savedLogin), signal);
  return answer;
}
