/**
 * Row 2: SIGKILL at random points of `ferry import` (cases alternate between
 * the directory and the archive bundle), then one rerun. A recording proxy in
 * front of the real registry counts completed blob uploads per digest per
 * repository across both runs; the registry content afterwards must equal an
 * uninterrupted import's.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startFaultProxy, type RecordedRequest } from '../harness/fault-proxy.ts';
import { startRegistry } from '../harness/registry.ts';
import { contentDifferences, registryContent } from './compare.ts';
import { runFerryProcess, tailOf, timePhases } from './ferry-process.ts';
import { exportArgs } from './kill-export.ts';
import type { RowResult } from './report.ts';
import { mapLimit } from '../harness/fixtures.ts';
import { median, type RowContext } from './row-context.ts';

const IMPORT_TIMEOUT_MS = 120_000;
const MAX_RERUNS = 3;
/** One case in this many is killed during start-up and verification instead of while pushing. */
const STARTUP_EVERY = 5;
/** The push window is stretched by this much, so some kills land after the last upload (tags, receipt, catalog). */
const TAIL_FACTOR = 1.15;
const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** A blob upload the registry completed (201 to the closing PUT, or to a monolithic POST with ?digest=), as "repository digest"; mounts are not uploads. */
export function completedUpload(request: RecordedRequest): string | undefined {
  if (request.status !== 201) return undefined;
  const url = new URL(request.path, 'http://proxy');
  const match = /^\/v2\/(.+)\/blobs\/uploads\/.*$/.exec(url.pathname);
  const digest = url.searchParams.get('digest');
  if (!match || digest === null || url.searchParams.has('mount')) return undefined;
  if (request.method !== 'PUT' && request.method !== 'POST') return undefined;
  return `${match[1] ?? ''} ${digest}`;
}

/** Requests that write to the registry (distribution-spec: POST/PUT/PATCH/DELETE). */
export function isWrite(request: RecordedRequest): boolean {
  return WRITES.has(request.method);
}

function importArgs(bundle: string, target: string, receipt: string): string[] {
  return ['import', bundle, '--to', target, '--plain-http', '--receipt', receipt];
}

/** Runs row 2 against the reference bundles of row 1 (exported here when row 1 did not run). */
export async function runImportKills(ctx: RowContext, refs: readonly string[], authFile: string, bundles: { directory: string; archive: string }): Promise<RowResult> {
  const started = Date.now();
  for (const form of ['directory', 'archive'] as const) {
    if (existsSync(join(bundles[form], 'ferry.json'))) continue;
    const made = await runFerryProcess(exportArgs(bundles[form], refs, authFile, form), { env: ctx.env, timeoutMs: IMPORT_TIMEOUT_MS });
    if (made.code !== 0) throw new Error(`export for the import row failed: ${tailOf(made.stderr)}`);
  }
  const target = await startRegistry({ mode: 'anonymous' });
  const proxy = await startFaultProxy({ upstream: target.url });
  try {
    const receipt = join(ctx.work, 'import-receipt.json');
    // Timed by phase: start-up and verification until the first request under the prefix, then pushing.
    const timedRef = await timePhases({ pushing: () => proxy.requests.some((r) => r.path.startsWith('/v2/reference/')) }, () =>
      runFerryProcess(importArgs(bundles.directory, `${proxy.host}/reference`, receipt), {
        env: { ...ctx.env, FERRY_CATALOG: join(ctx.work, 'import-ref.sqlite') },
        timeoutMs: IMPORT_TIMEOUT_MS,
      }),
    );
    const reference = timedRef.result;
    if (reference.code !== 0) throw new Error(`the uninterrupted import failed: ${tailOf(reference.stderr)}`);
    const expected = await registryContent(target.url, 'reference');
    const uploadsPerImport = proxy.requests.filter((r) => completedUpload(r) !== undefined).length;
    const startupMs = timedRef.at.pushing ?? reference.seconds * 1000;
    const pushingMs = (reference.seconds * 1000 - startupMs) * TAIL_FACTOR;

    interface CaseResult {
      phase: string;
      uploadedShare: number | undefined;
      rerunFailures: string[];
      completed: boolean;
      reruns: number;
      twice?: string;
      differs?: string;
      rss: number[];
      seconds: number;
    }
    const runCase = async (i: number, delay: number): Promise<CaseResult> => {
      const caseStarted = Date.now();
      const form = i % 2 === 0 ? 'directory' : 'archive';
      const prefix = `kill-${i}`;
      const env = { ...ctx.env, FERRY_CATALOG: join(ctx.work, `import-kill-${i}.sqlite`) };
      const args = importArgs(bundles[form], `${proxy.host}/${prefix}`, join(ctx.work, `import-receipt-${i}.json`));
      const ours = (r: RecordedRequest): boolean => r.path.startsWith(`/v2/${prefix}/`);
      let atKill = { requests: 0, uploads: 0 };
      let scanned = proxy.requests.length;
      // One case in five is killed during start-up and verification; the others after the first request under its prefix.
      const anchor = (): boolean => {
        for (; scanned < proxy.requests.length; scanned += 1) {
          const request = proxy.requests[scanned];
          if (request && ours(request)) return true;
        }
        return false;
      };
      const killed = await runFerryProcess(args, {
        env,
        killAfterMs: delay,
        ...(i % STARTUP_EVERY === 0 ? {} : { killAnchor: anchor }),
        timeoutMs: IMPORT_TIMEOUT_MS,
        beforeKill: () => {
          const seen = proxy.requests.filter(ours);
          atKill = { requests: seen.length, uploads: seen.filter((r) => completedUpload(r) !== undefined).length };
        },
      });
      const rss = killed.maxRssKiB === undefined ? [] : [killed.maxRssKiB];
      const phase = !killed.killed
        ? 'finished before the kill'
        : atKill.requests === 0
          ? 'verifying (no registry request yet)'
          : atKill.uploads < uploadsPerImport
            ? 'pushing'
            : 'after the last upload';
      const rerunFailures: string[] = [];
      let reruns = 0;
      let completed = false;
      while (!completed && reruns < MAX_RERUNS) {
        reruns += 1;
        const rerun = await runFerryProcess(args, { env, timeoutMs: IMPORT_TIMEOUT_MS });
        if (rerun.maxRssKiB !== undefined) rss.push(rerun.maxRssKiB);
        completed = rerun.code === 0;
        if (!completed) rerunFailures.push(`#${i} (${form}, kill at ${delay} ms, ${phase}) rerun ${reruns}: ${rerun.timedOut ? 'hung' : `exit ${rerun.code}`}: ${tailOf(rerun.stderr)}`);
      }
      const counts = new Map<string, number>();
      for (const request of proxy.requests.filter(ours)) {
        const upload = completedUpload(request);
        if (upload) counts.set(upload, (counts.get(upload) ?? 0) + 1);
      }
      const repeated = [...counts].filter(([, count]) => count > 1);
      const diff = contentDifferences(expected, await registryContent(target.url, prefix));
      return {
        phase,
        uploadedShare: killed.killed ? atKill.uploads / Math.max(1, uploadsPerImport) : undefined,
        rerunFailures,
        completed,
        reruns,
        ...(repeated.length > 0 ? { twice: `#${i} (${form}, kill at ${delay} ms, ${phase}): ${repeated.map(([key, count]) => `${key.slice(0, 60)}… ×${count}`).join(', ')}` } : {}),
        ...(diff.length > 0 ? { differs: `#${i} (${form}, kill at ${delay} ms, ${phase}): ${diff.slice(0, 4).join(', ')}` } : {}),
        rss,
        seconds: (Date.now() - caseStarted) / 1000,
      };
    };
    const delays = Array.from({ length: ctx.n }, (_, i) => Math.round(ctx.random() * (i % STARTUP_EVERY === 0 ? startupMs : pushingMs)));
    const results = await mapLimit(delays, ctx.parallel, (delay, i) => runCase(i, delay));
    const phases = new Map<string, number>();
    for (const r of results) phases.set(r.phase, (phases.get(r.phase) ?? 0) + 1);
    const uploadedShares = results.flatMap((r) => (r.uploadedShare === undefined ? [] : [r.uploadedShare]));
    const rerunFailures = results.flatMap((r) => r.rerunFailures);
    const twice = results.flatMap((r) => (r.twice ? [r.twice] : []));
    const differing = results.flatMap((r) => (r.differs ? [r.differs] : []));
    const caseSeconds = results.map((r) => r.seconds);
    const rss = results.flatMap((r) => r.rss);
    const maxReruns = Math.max(0, ...results.map((r) => r.reruns));
    const notCompleted = results.filter((r) => !r.completed).length;
    const shares = [...uploadedShares].sort((a, b) => a - b);
    const pct = (share: number | undefined): string => `${Math.round((share ?? 0) * 100)}%`;
    const phaseText = [...phases].map(([phase, count]) => `${count} ${phase}`).join(', ');
    return {
      test: 'SIGKILL during import',
      n: ctx.n,
      seconds: (Date.now() - started) / 1000,
      musts: [
        { must: 'every rerun completes', ok: notCompleted === 0, detail: `${ctx.n - notCompleted} of ${ctx.n} finished (${rerunFailures.length} failed reruns); most reruns needed: ${maxReruns}` },
        { must: 'no blob uploaded twice across the runs', ok: twice.length === 0, detail: `${twice.length} of ${ctx.n} cases uploaded a blob twice to one repository` },
        {
          must: 'registry content identical to an uninterrupted import',
          ok: differing.length === 0 && notCompleted === 0,
          detail: `${ctx.n - differing.length} of ${ctx.n} identical (${expected.size} tags → manifest digests)`,
        },
      ],
      figures: [
        `uninterrupted import ${reference.seconds.toFixed(2)} s, ${uploadsPerImport} blob uploads; kill delay: 1 case in ${STARTUP_EVERY} uniform in start-up and verification (0–${Math.round(startupMs)} ms), the rest uniform in 0–${Math.round(pushingMs)} ms after the first request under its prefix`,
        `kill points: ${phaseText}`,
        `uploads done at the kill: min ${pct(shares[0])}, median ${pct(median(shares))}, max ${pct(shares.at(-1))}`,
        `${median(caseSeconds).toFixed(1)} s per case; max RSS ${(Math.max(0, ...rss) / 1024).toFixed(0)} MiB`,
      ],
      details: [
        `Cases alternate between the directory and the archive bundle of row 1; each imports into its own repository prefix of one registry, with its own catalog (the job journal a rerun resumes from).`,
        `An upload counts when the registry answered 201 to its closing PUT (or to a monolithic POST ?digest=), as seen by a recording proxy in front of the registry; cross-repository mounts are not uploads.`,
        `Registry content is compared as repository:tag → manifest digest (HEAD with every manifest media type) for every repository under the prefix.`,
        ...(rerunFailures.length > 0 ? ['', 'Reruns that did not complete:', ...rerunFailures.map((line) => `- ${line}`)] : []),
        ...(twice.length > 0 ? ['', 'Blobs uploaded twice:', ...twice.map((line) => `- ${line}`)] : []),
        ...(differing.length > 0 ? ['', 'Content that differs from the uninterrupted import:', ...differing.map((line) => `- ${line}`)] : []),
      ],
    };
  } finally {
    await proxy.stop();
    await target.stop();
  }
}
