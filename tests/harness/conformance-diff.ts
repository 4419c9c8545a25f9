/**
 * Compares two conformance transcripts field by field and checks the
 * differences against an allow-list, so the conformance test fails on any
 * difference nobody documented and on any documented difference that is gone.
 */
import type { TranscriptEntry } from './conformance-http.ts';

/** One field of one step where the two registries answered differently. */
export interface Difference {
  step: string;
  /** 'status', 'codes', 'transport', 'body', 'request' or 'header:<name>'. */
  field: string;
  distribution: string;
  ferry: string;
}

/** The documented differences of one step: ferry serve's exact value per field (the spec's answer), where Distribution answers otherwise. */
export interface AllowedStep {
  step: string;
  /** Field ('status', 'codes', 'body', 'header:<name>', …) → what ferry serve must answer; compared exactly. */
  ferry: Record<string, string>;
}

/** A documented reason (a row of docs/serve.md "Differences from Distribution") and the steps it covers. */
export interface Allowance {
  /** The row's key, written in backticks in the docs table's first column. */
  id: string;
  steps: AllowedStep[];
}

const ABSENT = '(absent)';

function fields(entry: TranscriptEntry): Map<string, string> {
  const out = new Map<string, string>([
    ['request', entry.request],
    ['status', String(entry.status)],
    ['codes', entry.codes?.join(',') ?? ABSENT],
    ['transport', entry.transport ?? ABSENT],
    ['body', entry.body ?? ABSENT],
  ]);
  for (const [name, value] of Object.entries(entry.headers)) out.set(`header:${name}`, value);
  return out;
}

/** Every field that differs, step by step; a step only one side has is reported as field 'step'. */
export function diffTranscripts(distribution: readonly TranscriptEntry[], ferry: readonly TranscriptEntry[]): Difference[] {
  const ferrySteps = new Map(ferry.map((e) => [e.step, e]));
  const out: Difference[] = [];
  for (const d of distribution) {
    const f = ferrySteps.get(d.step);
    if (!f) {
      out.push({ step: d.step, field: 'step', distribution: 'present', ferry: ABSENT });
      continue;
    }
    const df = fields(d);
    const ff = fields(f);
    for (const name of new Set([...df.keys(), ...ff.keys()])) {
      const a = df.get(name) ?? ABSENT;
      const b = ff.get(name) ?? ABSENT;
      if (a !== b) out.push({ step: d.step, field: name, distribution: a, ferry: b });
    }
  }
  const distributionSteps = new Set(distribution.map((e) => e.step));
  for (const f of ferry) if (!distributionSteps.has(f.step)) out.push({ step: f.step, field: 'step', distribution: ABSENT, ferry: 'present' });
  return out;
}

/** One allowed field, flattened, with the reason it belongs to. */
export interface AllowedField {
  id: string;
  step: string;
  field: string;
  ferry: string;
}

/** What the allow-list check found: differences nobody allowed, allowed ones whose ferry value is wrong, and allowed ones that no longer occur. */
export interface AllowCheck {
  unexpected: Difference[];
  wrongValue: Array<Difference & { allowed: string; id: string }>;
  stale: AllowedField[];
}

/** Matches differences against the allow-list (by step and field), exactly; entries for steps this run did not have (auth-only steps) are not stale. */
export function checkAllowList(differences: readonly Difference[], allowances: readonly Allowance[], steps: ReadonlySet<string>): AllowCheck {
  const allowed = new Map<string, AllowedField>();
  for (const a of allowances) {
    for (const s of a.steps) for (const [field, ferry] of Object.entries(s.ferry)) allowed.set(`${s.step} ${field}`, { id: a.id, step: s.step, field, ferry });
  }
  const seen = new Set<string>();
  const result: AllowCheck = { unexpected: [], wrongValue: [], stale: [] };
  for (const d of differences) {
    const key = `${d.step} ${d.field}`;
    const entry = allowed.get(key);
    if (!entry) result.unexpected.push(d);
    else if (entry.ferry !== d.ferry) result.wrongValue.push({ ...d, allowed: entry.ferry, id: entry.id });
    seen.add(key);
  }
  for (const [key, entry] of allowed) if (!seen.has(key) && steps.has(entry.step)) result.stale.push(entry);
  return result;
}
