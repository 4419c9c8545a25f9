/**
 * The import wizard's "Check registry" (target step): the last answer of
 * `registry:check` for the bundle and target, and the fixes the operator
 * chose ("Keep paths at most N levels deep", "Create missing repositories").
 * The push goes ahead only when the check found nothing, or every offered fix
 * is chosen and nothing remains; the import applies the chosen fixes, and the
 * engine checks the registry again before its first write.
 */
import { create } from 'zustand';
import type { ImportFixes, RegistryCheckAnswer } from '../../src-shared/api/contract.ts';

/** The check's state. */
export interface RegistryCheckState {
  /** The last answer, for `checkedFor`; null before a check or after the target, access or bundle changed. */
  answer: RegistryCheckAnswer | null;
  /** The bundle and target the answer is about. */
  checkedFor: string | null;
  /** "Keep paths at most N levels deep" chosen. */
  keepShallow: boolean;
  /** "Create missing repositories" chosen. */
  createRepositories: boolean;
  /** Keeps an answer for a bundle and target; the fixes start unchosen. */
  remember: (answer: RegistryCheckAnswer, checkedFor: string) => void;
  choose: (patch: Partial<Pick<RegistryCheckState, 'keepShallow' | 'createRepositories'>>) => void;
  clear: () => void;
}

/** Hook and store of the registry check. */
export const useRegistryCheck = create<RegistryCheckState>()((set) => ({
  answer: null,
  checkedFor: null,
  keepShallow: false,
  createRepositories: false,
  remember(answer, checkedFor) {
    set({ answer, checkedFor, keepShallow: false, createRepositories: false });
  },
  choose(patch) {
    set(patch);
  },
  clear() {
    set({ answer: null, checkedFor: null, keepShallow: false, createRepositories: false });
  },
}));

/** The key an answer is kept under: the bundle and the target, as typed. */
export function checkKey(bundle: string, target: string): string {
  return `${bundle.trim()}\n${target.trim()}`;
}

/** The fixes the import should apply: those offered by the answer and chosen. */
export function chosenFixes(state: Pick<RegistryCheckState, 'answer' | 'keepShallow' | 'createRepositories'>): ImportFixes {
  const offered = state.answer?.fixes ?? {};
  return {
    ...(state.keepShallow && offered.maxNestedPaths !== undefined ? { maxNestedPaths: offered.maxNestedPaths } : {}),
    ...(state.createRepositories && offered.createRepositories === true ? { createRepositories: true } : {}),
  };
}

/** Why the push cannot go ahead after the check, in the operator's words; undefined when it can (or no check was made). */
export function checkBlocks(state: Pick<RegistryCheckState, 'answer' | 'keepShallow' | 'createRepositories'>): string | undefined {
  const { answer } = state;
  if (!answer || answer.problems.length === 0) return undefined;
  const offered = answer.fixes;
  const allChosen = (offered.maxNestedPaths === undefined || state.keepShallow) && (offered.createRepositories !== true || state.createRepositories);
  const anyOffered = offered.maxNestedPaths !== undefined || offered.createRepositories === true;
  if (anyOffered && allChosen && answer.remaining.length === 0) return undefined;
  if (anyOffered && answer.remaining.length === 0) return 'The registry cannot take every image as it is: choose the options under “Check registry” first.';
  return 'The registry cannot take every image of this bundle (see “Check registry”): import into another registry, or change its settings and check again.';
}
