/** Which saved registry entry applies to what the user typed, so wizards can prefill its access options. */
import type { RegistrySetting } from '../src-shared/api/contract.ts';

/** The registry Docker-style short names (`nginx`, `library/nginx`) resolve to. */
const DEFAULT_REGISTRY = 'docker.io';

/** True when the first path component names a registry host rather than a repository (the distribution reference grammar's rule). */
function hasHost(typed: string): boolean {
  const first = typed.split('/')[0] ?? '';
  return typed.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
}

/** True for a bare registry address with no repository: `localhost`, `host.domain[:port]`, `host:port`. */
function isHostOnly(text: string): boolean {
  return text === 'localhost' || /^[^/:@]*\.[^/:@]*(:\d+)?$/.test(text) || /^[^/:@]+:\d+$/.test(text);
}

/**
 * The saved entry for a reference (`host/repo:tag`) or an import target
 * (`host[:port]/prefix`): the longest saved address the text starts with,
 * ending at a path, tag or digest boundary. Host names compare case-insensitively.
 */
export function savedRegistryFor(registries: readonly RegistrySetting[], typed: string): RegistrySetting | undefined {
  const text = typed.trim().replace(/^[a-z]+:\/\//i, '');
  if (text === '') return undefined;
  const full = (hasHost(text) || isHostOnly(text) ? text : `${DEFAULT_REGISTRY}/${text}`).toLowerCase();
  let best: RegistrySetting | undefined;
  for (const entry of registries) {
    const address = entry.address.toLowerCase();
    const next = full.charAt(address.length);
    const boundary = next === '' || next === '/' || (address.includes('/') && (next === ':' || next === '@'));
    if (full.startsWith(address) && boundary && (!best || address.length > best.address.length)) best = entry;
  }
  return best;
}
