/**
 * How deep a repository path the registry takes, and whether a push creates a
 * repository: upload sessions opened at fresh names under the prefix, one
 * level deeper each time, every one cancelled at once. An upload that is
 * started and cancelled completes no blob, so Distribution lists no new
 * repository afterwards (it lists a name once a blob was linked into it).
 */
import { pathDepth } from '../reference.ts';
import type { RegistryClient } from './client.ts';
import { cancelProbeUpload, isAccessRefusal, refusalWords, startProbeUpload, type ProbeRefusal } from './probe-access.ts';

/** What the depth probe found. */
export interface DepthFinding {
  /** The deepest depth (components after the host) an upload was accepted at; undefined when none was. */
  deepestAccepted: number | undefined;
  /**
   * The shallowest depth refused for its name (400 NAME_INVALID) after an accepted one, or at the first
   * depth when every depth was refused so (the limit is at the prefix itself): the limit is one less.
   */
  limitAt: number | undefined;
  /** A refusal after an accepted depth that says nothing about names (429, 5xx, no answer, 401/403): the depth stays unknown. */
  interrupted: { depth: number; refusal: ProbeRefusal } | undefined;
  /** Depths refused before any was accepted (Harbor's root, a prefix the user may not write to). */
  refusedShallow: Array<{ depth: number; refusal: ProbeRefusal }>;
  /** The refusal that ended the probe. */
  refusal: ProbeRefusal | undefined;
  /** The deepest depth tried. */
  ceiling: number;
  /** An upload at a fresh name one level under the prefix was accepted (202), refused as NAME_UNKNOWN (404), or neither. */
  createsOnPush: boolean | undefined;
  /** The words for the "creates repositories" row. */
  createsWords: string;
  /** Upload sessions that could not be cancelled (they expire on their own; nothing is listed for them). */
  uncancelled: string[];
}

/** The probe repository at `depth` under the prefix: `prefix/ferry-check-<nonce>/l3/l4…`. */
export function depthName(prefix: string, nonce: string, depth: number): string {
  const parts = prefix === '' ? [] : prefix.split('/');
  parts.push(`ferry-check-${nonce}`);
  while (parts.length < depth) parts.push(`l${parts.length + 1}`);
  return parts.join('/');
}

/**
 * A refusal of the name itself: 400 NAME_INVALID, what Quay and GitLab answer a path deeper than they allow
 * (a bare 400 without error codes too). Only this marks a depth limit: a throttled, failing or refused-access
 * upload says nothing about how deep a name may be.
 */
export function isNameRefusal(refusal: ProbeRefusal): boolean {
  return refusal.codes.includes('NAME_INVALID') || (refusal.status === 400 && refusal.codes.length === 0);
}

/** A refusal that means "this name does not exist here and a push will not make it" (ECR's answer). */
function isNameUnknown(refusal: ProbeRefusal): boolean {
  return refusal.codes.includes('NAME_UNKNOWN') || (refusal.status === 404 && refusal.codes.length === 0);
}

/**
 * Starts (and cancels) uploads at fresh names from one level under the prefix down to `ceiling`, and stops
 * at the first refusal after an accepted depth: limits are monotone, so a deeper try would say nothing new.
 * Only a refusal of the name counts as the limit ({@link isNameRefusal}); any other ends the probe unknown.
 */
export async function probeDepth(client: RegistryClient, prefix: string, nonce: string, ceiling: number, signal?: AbortSignal): Promise<DepthFinding> {
  const first = pathDepth(prefix) + 1;
  const finding: DepthFinding = {
    deepestAccepted: undefined,
    limitAt: undefined,
    interrupted: undefined,
    refusedShallow: [],
    refusal: undefined,
    ceiling,
    createsOnPush: undefined,
    createsWords: '',
    uncancelled: [],
  };
  for (let depth = first; depth <= ceiling; depth += 1) {
    const name = depthName(prefix, nonce, depth);
    const answer = await startProbeUpload(client, name, signal);
    if (answer.ok) {
      const cancelled = await cancelProbeUpload(client, name, answer.value, signal);
      if (!cancelled) finding.uncancelled.push(`an upload session in ${client.registry}/${name}`);
      finding.deepestAccepted = depth;
      if (depth === first) {
        finding.createsOnPush = true;
        finding.createsWords = `an upload at a new name (${name}) was accepted${cancelled ? ' and cancelled' : ', but its cancel was refused'}`;
      }
      continue;
    }
    const { refusal } = answer;
    finding.refusal = refusal;
    if (finding.deepestAccepted !== undefined) {
      if (isNameRefusal(refusal)) finding.limitAt = depth;
      else finding.interrupted = { depth, refusal };
      break;
    }
    if (depth === first) {
      if (isNameUnknown(refusal)) {
        finding.createsOnPush = false;
        finding.createsWords = `an upload at a new name (${name}) answered ${refusalWords(refusal)}: repositories must exist before a push`;
        break;
      }
      finding.createsWords = `an upload at a new name (${name}) answered ${refusalWords(refusal)}`;
    }
    finding.refusedShallow.push({ depth, refusal });
    if (isAccessRefusal(refusal)) break;
  }
  // Every depth under a non-empty prefix refused for its name: the prefix is as deep as the registry goes.
  const everyNameRefused = finding.refusedShallow.length > 0 && finding.refusedShallow.every((r) => isNameRefusal(r.refusal));
  if (finding.deepestAccepted === undefined && first > 1 && everyNameRefused) finding.limitAt = first;
  return finding;
}
