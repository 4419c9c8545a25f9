/**
 * Row 1: SIGKILL at random points of `ferry export` (directory and archive
 * form). After each kill: `ferry verify` must refuse the folder unless it is
 * the whole bundle; one rerun must finish it; the result must hold the same
 * bytes as an uninterrupted export (ferry.json's bundleId and created, and in
 * archive form the tar mtime derived from created, name the export and are
 * compared apart, see the doc).
 */
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { bundleDifferences, bytesUnder, fingerprintBundle } from './compare.ts';
import { runFerryProcess, tailOf, timePhases } from './ferry-process.ts';
import type { RowResult } from './report.ts';
import { mapLimit } from '../harness/fixtures.ts';
import { median, type RowContext } from './row-context.ts';

/** A rerun that needs longer than this is a hang; the uninterrupted export takes a few seconds. */
const EXPORT_TIMEOUT_MS = 120_000;
/** The export journal: its appearance marks the end of start-up and planning, and the first write. */
const JOURNAL = '.ferry-export.json';
/** One case in this many is killed during start-up instead of while writing. */
const STARTUP_EVERY = 5;
/** The write window is stretched by this much, so some kills land after ferry.json (catalog record, journal removal). */
const TAIL_FACTOR = 1.15;
/** Reruns tried before a case counts as "rerun does not complete". */
const MAX_RERUNS = 3;

/** Where a kill landed, from what the folder held afterwards. */
type Phase = 'before the folder' | 'journal only' | 'writing' | 'ferry.json written';

/** The export arguments for one folder. */
export function exportArgs(dir: string, refs: readonly string[], authFile: string, form: 'directory' | 'archive'): string[] {
  return ['export', '--to', dir, ...refs, '--plain-http', '--authfile', authFile, ...(form === 'archive' ? ['--archive', '--part-size', '1MiB'] : [])];
}

/** Runs row 1 for one form; `reference` is left in place for the import row. */
export async function runExportKills(ctx: RowContext, refs: readonly string[], authFile: string, form: 'directory' | 'archive', reference: string): Promise<RowResult> {
  const started = Date.now();
  // Two uninterrupted exports (the second with warm caches), timed by phase: start-up until the journal appears, then writing.
  const timed = async (dir: string) =>
    timePhases({ journal: () => existsSync(join(dir, JOURNAL)) }, () => runFerryProcess(exportArgs(dir, refs, authFile, form), { env: ctx.env, timeoutMs: EXPORT_TIMEOUT_MS }));
  const first = await timed(reference);
  if (first.result.code !== 0) throw new Error(`the uninterrupted ${form} export failed: ${tailOf(first.result.stderr)}`);
  const verified = await runFerryProcess(['verify', reference, '--json'], { env: ctx.env, timeoutMs: EXPORT_TIMEOUT_MS });
  if (verified.code !== 0) throw new Error(`the uninterrupted ${form} export does not verify: ${tailOf(verified.stdout)}`);
  const expected = await fingerprintBundle(reference);
  const totalBytes = await bytesUnder(reference);
  const warmDir = join(ctx.work, `export-${form}-warm`);
  const warm = await timed(warmDir);
  await rm(warmDir, { recursive: true, force: true });
  const phaseMs = (run: typeof first): { startup: number; writing: number; total: number } => ({
    startup: run.at.journal ?? run.result.seconds * 1000,
    writing: (run.result.seconds * 1000 - (run.at.journal ?? 0)) * TAIL_FACTOR,
    total: run.result.seconds * 1000,
  });
  const runs = warm.result.code === 0 ? [phaseMs(first), phaseMs(warm)] : [phaseMs(first)];
  const startupMs = Math.min(...runs.map((r) => r.startup));
  const writingMs = Math.min(...runs.map((r) => r.writing));
  const uninterruptedMs = Math.min(...runs.map((r) => r.total));

  interface CaseResult {
    phase: Phase;
    share: number;
    finishedBeforeKill: boolean;
    acceptedEarly?: string;
    rerunFailures: string[];
    completed: boolean;
    differs?: string;
    reruns: number;
    rerunSeconds: number[];
    rss: number[];
    seconds: number;
  }
  const runCase = async (i: number, delay: number): Promise<CaseResult> => {
    const caseStarted = Date.now();
    const dir = join(ctx.work, `export-${form}-${i}`);
    const args = exportArgs(dir, refs, authFile, form);
    // One case in five is killed during start-up (planning, before any write); the others after the journal appeared.
    const duringStartup = i % STARTUP_EVERY === 0;
    const killed = await runFerryProcess(args, {
      env: ctx.env,
      killAfterMs: delay,
      ...(duringStartup ? {} : { killAnchor: () => existsSync(join(dir, JOURNAL)) }),
      timeoutMs: EXPORT_TIMEOUT_MS,
    });
    const rss = killed.maxRssKiB === undefined ? [] : [killed.maxRssKiB];
    const hasFerryJson = existsSync(join(dir, 'ferry.json'));
    const bytes = await bytesUnder(dir);
    const phase: Phase = !existsSync(dir) ? 'before the folder' : hasFerryJson ? 'ferry.json written' : bytes <= 1024 * 16 ? 'journal only' : 'writing';
    let acceptedEarly: string | undefined;
    if (existsSync(dir)) {
      const check = await runFerryProcess(['verify', dir, '--json'], { env: ctx.env, timeoutMs: EXPORT_TIMEOUT_MS });
      if (check.code === 0) {
        const diff = bundleDifferences(expected, await fingerprintBundle(dir));
        if (diff.length > 0) acceptedEarly = `#${i} (kill at ${delay} ms, ${phase}): ${diff.slice(0, 3).join(', ')}`;
      } else if (check.timedOut) acceptedEarly = `#${i}: ferry verify hung on the killed folder`;
    }
    const rerunFailures: string[] = [];
    const rerunSeconds: number[] = [];
    let reruns = 0;
    let completed = false;
    while (!completed && reruns < MAX_RERUNS) {
      reruns += 1;
      const rerun = await runFerryProcess(args, { env: ctx.env, timeoutMs: EXPORT_TIMEOUT_MS });
      rerunSeconds.push(rerun.seconds);
      if (rerun.maxRssKiB !== undefined) rss.push(rerun.maxRssKiB);
      completed = rerun.code === 0;
      if (!completed) rerunFailures.push(`#${i} (kill at ${delay} ms, ${phase}) rerun ${reruns}: ${rerun.timedOut ? 'hung' : `exit ${rerun.code}`}: ${tailOf(rerun.stderr)}`);
    }
    let differs: string | undefined;
    if (completed) {
      const diff = bundleDifferences(expected, await fingerprintBundle(dir));
      if (diff.length > 0) differs = `#${i} (kill at ${delay} ms, ${phase}): ${diff.slice(0, 4).join(', ')}`;
    }
    await rm(dir, { recursive: true, force: true });
    return {
      phase,
      share: Math.min(1, bytes / totalBytes),
      finishedBeforeKill: !killed.killed,
      ...(acceptedEarly ? { acceptedEarly } : {}),
      rerunFailures,
      completed,
      ...(differs ? { differs } : {}),
      reruns,
      rerunSeconds,
      rss,
      seconds: (Date.now() - caseStarted) / 1000,
    };
  };
  // Kill points are drawn before any case runs, so the seed alone decides them whatever the interleaving.
  const delays = Array.from({ length: ctx.n }, (_, i) => Math.round(ctx.random() * (i % STARTUP_EVERY === 0 ? startupMs : writingMs)));
  const results = await mapLimit(delays, ctx.parallel, (delay, i) => runCase(i, delay));
  const phases = new Map<Phase, number>();
  for (const r of results) phases.set(r.phase, (phases.get(r.phase) ?? 0) + 1);
  const writtenShares = results.map((r) => r.share);
  const acceptedEarly = results.flatMap((r) => (r.acceptedEarly ? [r.acceptedEarly] : []));
  const rerunFailures = results.flatMap((r) => r.rerunFailures);
  const differing = results.flatMap((r) => (r.differs ? [r.differs] : []));
  const rerunSeconds = results.flatMap((r) => r.rerunSeconds);
  const caseSeconds = results.map((r) => r.seconds);
  const rss = results.flatMap((r) => r.rss);
  const finishedBeforeKill = results.filter((r) => r.finishedBeforeKill).length;
  const maxReruns = Math.max(0, ...results.map((r) => r.reruns));
  const notCompleted = results.filter((r) => !r.completed).length;
  const sorted = [...writtenShares].sort((a, b) => a - b);
  const pct = (share: number | undefined): string => `${Math.round((share ?? 0) * 100)}%`;
  const phaseText = [...phases].map(([phase, count]) => `${count} ${phase}`).join(', ');
  const buckets = [0, 0.25, 0.5, 0.75, 1].map((upper, b, all) => writtenShares.filter((s) => (b === 0 ? s === 0 : s > (all[b - 1] ?? 0) && s <= upper)).length);
  return {
    test: `SIGKILL during export, ${form} form`,
    n: ctx.n,
    seconds: (Date.now() - started) / 1000,
    musts: [
      { must: 'no folder accepted as a bundle unless complete', ok: acceptedEarly.length === 0, detail: `${acceptedEarly.length} of ${ctx.n} killed folders accepted while incomplete` },
      {
        must: 'every rerun completes',
        ok: rerunFailures.length === 0,
        detail: `${ctx.n - notCompleted} of ${ctx.n} finished (${rerunFailures.length} failed reruns); most reruns needed: ${maxReruns}`,
      },
      {
        must: 'result byte-identical to an uninterrupted export',
        ok: differing.length === 0 && rerunFailures.length === 0,
        detail: `${ctx.n - differing.length} of ${ctx.n} identical (every file's sha256; ferry.json but for bundleId/created${form === 'archive' ? '; parts but for the tar mtime = created' : ''})`,
      },
    ],
    figures: [
      `uninterrupted export ${(uninterruptedMs / 1000).toFixed(2)} s, ${(totalBytes / 1e6).toFixed(1)} MB; kill delay: 1 case in ${STARTUP_EVERY} uniform in the start-up (0–${Math.round(startupMs)} ms), the rest uniform in 0–${Math.round(writingMs)} ms after the journal appeared`,
      `kill points: ${phaseText}; ${finishedBeforeKill} finished before the kill`,
      `bytes on disk at the kill: min ${pct(sorted[0])}, median ${pct(median(sorted))}, max ${pct(sorted.at(-1))}`,
      `rerun ${median(rerunSeconds).toFixed(2)} s median; ${median(caseSeconds).toFixed(1)} s per case; max RSS ${(Math.max(0, ...rss) / 1024).toFixed(0)} MiB`,
    ],
    details: [
      `Kill points by bytes already in the folder (share of the finished bundle): 0%: ${buckets[0]}, ≤25%: ${buckets[1]}, ≤50%: ${buckets[2]}, ≤75%: ${buckets[3]}, ≤100%: ${buckets[4]}.`,
      `Phases: ${phaseText}. "journal only" means the folder held the resume journal (.ferry-export.json) and at most 16 KiB.`,
      '',
      `What is compared: the sha256 of every file in the folder, with no file missing or extra (a leftover journal or temp file counts as extra). ` +
        `ferry.json is compared with \`bundleId\` and \`created\` taken out: both are fixed when an export starts (a random UUID and the start time, ` +
        `kept in the journal so a rerun finishes *the same* bundle) and so necessarily differ between two separate exports.` +
        (form === 'archive'
          ? ' In archive form every tar header carries mtime = `created` (so a resumed export rewrites byte-identical parts), so the parts are compared with each ' +
            "header's mtime and checksum zeroed, the parts' sha256 in ferry.json are left out for the same reason, and the run checks separately that every header's mtime equals the bundle's own `created`."
          : ''),
      ...(acceptedEarly.length > 0 ? ['', 'Accepted while incomplete:', ...acceptedEarly.map((line) => `- ${line}`)] : []),
      ...(rerunFailures.length > 0 ? ['', 'Reruns that did not complete:', ...rerunFailures.map((line) => `- ${line}`)] : []),
      ...(differing.length > 0 ? ['', 'Finished bundles that differ from the uninterrupted export:', ...differing.map((line) => `- ${line}`)] : []),
    ],
  };
}
