/**
 * The contract's registry calls beyond the connection test's answer: the
 * registry check of the import wizard's target step (`registry:check`), what
 * it found wrong with the bundle for this registry, and the two fixes the
 * operator can choose before the push (keep paths shallow, create missing
 * repositories), which the import then applies. Kept out of contract.ts,
 * which holds only the method entries.
 */
import type { ErrorHint } from '../errors.ts';
import type { RegistryCheckReport } from '../model/registry-check.ts';
import type { RegistryAccessInput } from './contract.ts';

/** The answer of `registry:test`: whether the registry answers, in words, and what to change when it does not. */
export interface RegistryTestResult {
  ok: boolean;
  message: string;
  hint?: ErrorHint;
}

/** The fixes an import can apply for a registry the check found limits on (as `ferry import --max-nested-paths N --create-repositories`). */
export interface ImportFixes {
  /** Keep every repository path (the target's path included) at most this many levels deep. */
  maxNestedPaths?: number;
  /** Create the repositories the bundle needs where the registry needs them to exist and offers a way. */
  createRepositories?: boolean;
}

/** What `registry:check` checks: the target, how to reach it, and optionally the bundle to judge against it. */
export interface RegistryCheckInput {
  /** `REGISTRY[/PREFIX]`. */
  target: string;
  /** The verified bundle the import would push; without it only the registry's capabilities are reported. */
  bundle?: string;
  keepRegistryHost?: boolean;
  access?: RegistryAccessInput;
}

/** One image the registry cannot take, and why, in plain words. */
export interface RegistryCheckProblem {
  image: string;
  destination: string;
  reason: 'path-too-deep' | 'media-type-refused' | 'repository-missing';
  detail: string;
}

/** The answer of `registry:check`. */
export interface RegistryCheckAnswer {
  report: RegistryCheckReport;
  /** The bundle's images the registry cannot take as planned (empty without a bundle, or when it can take them all). */
  problems: RegistryCheckProblem[];
  /** Repositories the bundle needs that do not exist, on a registry that does not create them on push. */
  missingRepositories: string[];
  /** The fixes that would help, when there are problems: the depth to keep paths at, and whether missing repositories can be created. */
  fixes: ImportFixes;
  /** What would still be wrong with every offered fix applied: empty means the push can go ahead with them. */
  remaining: RegistryCheckProblem[];
}
