/**
 * Row 3: the bad-bundle corpus. Each case is checked by `ferry verify --json`
 * (must refuse, naming the check) and by `ferry import` into a registry behind
 * a recording proxy (no request that writes may reach it), each process under
 * a hard timeout (a hang fails) and GNU time (peak RSS under 200 MB). A reused
 * bundle id is the one case only a catalog can refuse: it runs as two imports.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startFaultProxy, type FaultProxy } from '../harness/fault-proxy.ts';
import type { FixtureImage, FixtureName } from '../harness/fixtures.ts';
import { startRegistry, type RunningRegistry } from '../harness/registry.ts';
import { addFileCases, addTarCases, CorpusBuilder, type CorpusCase, type GoodBundles } from './corpus-build.ts';
import { addJsonCases } from './corpus-json.ts';
import { runFerryProcess, tailOf, type FerryRun } from './ferry-process.ts';
import { isWrite } from './kill-import.ts';
import { mapLimit } from '../harness/fixtures.ts';
import type { RowResult } from './report.ts';
import type { RowContext } from './row-context.ts';

/** A hang: each ferry process of a case gets this long (a few seconds; Node alone starts in ~0.5 s here). */
const CASE_TIMEOUT_MS = 10_000;
/** The second look at a case that passed the hard timeout: long enough to tell slow from stuck. */
const UNBOUNDED_TIMEOUT_MS = 90_000;
/** The memory must: 200 MB, in KiB as GNU time reports it. */
const RSS_LIMIT_KIB = (200 * 1000 * 1000) / 1024;
/** The good bundles' images: a single image and a two-platform index. */
const CORPUS_IMAGES: FixtureName[] = ['oci-single', 'oci-index'];
/** Parts in the good archive: at least three full ones and a last one. */
const TARGET_PARTS = 4.5;

/** What one case measured. */
interface CaseOutcome {
  name: string;
  form: string;
  group: string;
  refused: boolean;
  failed: string[];
  named: boolean;
  writes: number;
  importExit: string;
  hang: string | undefined;
  rawEscape: boolean;
  seconds: number;
  rssKiB: number;
}

interface VerifyJson {
  ok: boolean;
  checks: Array<{ id: string; ok: boolean; problems: string[] }>;
}

function failedChecks(run: FerryRun): { ok: boolean | undefined; failed: string[] } {
  try {
    const report = JSON.parse(run.stdout) as VerifyJson;
    return { ok: report.ok, failed: report.checks.filter((c) => !c.ok).map((c) => c.id) };
  } catch {
    return { ok: undefined, failed: [] };
  }
}

/** Exports the good bundles and finds one digest of each blob kind. */
async function goodBundles(ctx: RowContext, source: RunningRegistry, fixtures: Record<FixtureName, FixtureImage>, authFile: string): Promise<GoodBundles> {
  const refs = CORPUS_IMAGES.map((name) => `${source.host}/${fixtures[name].repository}:${fixtures[name].tag}`);
  const directory = join(ctx.work, 'corpus-good-directory');
  const archive = join(ctx.work, 'corpus-good-archive');
  const run = async (args: string[]): Promise<void> => {
    const result = await runFerryProcess(args, { env: ctx.env, timeoutMs: 120_000 });
    if (result.code !== 0) throw new Error(`corpus export failed: ${tailOf(result.stderr)}`);
  };
  await run(['export', '--to', directory, ...refs, '--plain-http', '--authfile', authFile]);
  const ferry = JSON.parse(await readFile(join(directory, 'ferry.json'), 'utf8')) as { images: Array<{ digest: string; mediaType: string }>; blobs: Array<{ size: number }> };
  const total = ferry.blobs.reduce((sum, blob) => sum + blob.size, 0);
  await run(['export', '--to', archive, ...refs, '--plain-http', '--authfile', authFile, '--archive', '--part-size', `${Math.ceil(total / TARGET_PARTS / 1024)}KiB`]);
  const single = fixtures['oci-single'];
  const manifest = JSON.parse(await readFile(join(directory, 'blobs', 'sha256', single.manifestDigest.slice(7)), 'utf8')) as { config: { digest: string }; layers: Array<{ digest: string }> };
  return {
    directory,
    archive,
    digests: { manifest: single.manifestDigest, config: manifest.config.digest, layer: manifest.layers[0]?.digest ?? '', index: fixtures['oci-index'].manifestDigest },
  };
}

/** A verify that passed the hard timeout, run once more with a long one: was it slow or stuck, and what did it say? */
async function unboundedVerify(entry: CorpusCase, env: Record<string, string>): Promise<string> {
  const again = await runFerryProcess(['verify', entry.dir, '--json'], { env, timeoutMs: UNBOUNDED_TIMEOUT_MS });
  if (again.timedOut) return `(hung: no verdict in ${UNBOUNDED_TIMEOUT_MS / 1000} s either)`;
  const { ok, failed } = failedChecks(again);
  const verdict = ok === undefined ? `no report, exit ${again.code}` : ok ? 'accepted' : `refused: ${failed.join(', ')}`;
  return `(no verdict in ${CASE_TIMEOUT_MS / 1000} s; without the limit ${again.seconds.toFixed(1)} s, ${verdict}, peak RSS ${((again.maxRssKiB ?? 0) / 1024).toFixed(0)} MiB)`;
}

async function runCase(ctx: RowContext, proxy: FaultProxy, entry: CorpusCase, index: number): Promise<CaseOutcome> {
  const started = Date.now();
  const env = { ...ctx.env, FERRY_CATALOG: join(ctx.work, `corpus-${index}.sqlite`) };
  const verify = await runFerryProcess(['verify', entry.dir, '--json'], { env, timeoutMs: CASE_TIMEOUT_MS });
  const { ok, failed } = failedChecks(verify);
  let rawEscape = false;
  let text: FerryRun | undefined;
  if (entry.textMustBeClean) {
    text = await runFerryProcess(['verify', entry.dir], { env, timeoutMs: CASE_TIMEOUT_MS });
    rawEscape = (text.stdout + text.stderr).includes('\u001b');
  }
  const imported = await runFerryProcess(['import', entry.dir, '--to', `${proxy.host}/corpus-${index}`, '--plain-http', '--receipt', join(ctx.work, `corpus-receipt-${index}.json`)], {
    env,
    timeoutMs: CASE_TIMEOUT_MS,
  });
  const runs = [verify, imported, ...(text ? [text] : [])];
  const writes = proxy.requests.filter((r) => isWrite(r) && r.path.startsWith(`/v2/corpus-${index}/`)).length;
  const hangs = [verify.timedOut ? 'verify' : '', text?.timedOut ? 'verify (text)' : '', imported.timedOut ? 'import' : ''].filter((h) => h);
  const refused = verify.code === 1 && ok === false;
  return {
    name: entry.name,
    form: entry.form,
    group: entry.group,
    refused,
    failed: verify.timedOut ? [await unboundedVerify(entry, env)] : ok === undefined ? [`(no report, exit ${verify.code}: ${tailOf(verify.stderr, 1)})`] : failed,
    named: refused && failed.some((id) => (entry.expect as string[]).includes(id)),
    writes,
    importExit: imported.timedOut ? 'hung' : String(imported.code),
    hang: hangs.length > 0 ? hangs.join(', ') : undefined,
    rawEscape,
    seconds: (Date.now() - started) / 1000,
    rssKiB: Math.max(0, ...runs.map((r) => r.maxRssKiB ?? 0)),
  };
}

/** Two bundles with one id: the second, with a different ferry.json, must be refused by an import that records into the same catalog. */
async function reusedIdCase(ctx: RowContext, proxy: FaultProxy, good: GoodBundles, source: RunningRegistry, fixtures: Record<FixtureName, FixtureImage>, authFile: string): Promise<CaseOutcome> {
  const started = Date.now();
  const other = join(ctx.work, 'corpus-reused-id');
  const fixture = fixtures['oci-single'];
  const made = await runFerryProcess(['export', '--to', other, `${source.host}/${fixture.repository}:${fixture.tag}`, '--plain-http', '--authfile', authFile], { env: ctx.env, timeoutMs: 120_000 });
  if (made.code !== 0) throw new Error(`export for the reused-id case failed: ${tailOf(made.stderr)}`);
  const first = JSON.parse(await readFile(join(good.directory, 'ferry.json'), 'utf8')) as { bundleId: string };
  const second = JSON.parse(await readFile(join(other, 'ferry.json'), 'utf8')) as { bundleId: string };
  second.bundleId = first.bundleId;
  await writeFile(join(other, 'ferry.json'), `${JSON.stringify(second, null, 2)}\n`);
  const env = { ...ctx.env, FERRY_CATALOG: join(ctx.work, 'corpus-reused-id.sqlite') };
  const receipt = ['--plain-http', '--receipt', join(ctx.work, 'corpus-receipt.json')];
  const one = await runFerryProcess(['import', good.directory, '--to', `${proxy.host}/reused-a`, ...receipt], { env, timeoutMs: 60_000 });
  if (one.code !== 0) throw new Error(`import of the first bundle of the reused-id case failed: ${tailOf(one.stderr)}`);
  const two = await runFerryProcess(['import', other, '--to', `${proxy.host}/reused-b`, ...receipt], { env, timeoutMs: CASE_TIMEOUT_MS });
  const writes = proxy.requests.filter((r) => isWrite(r) && r.path.startsWith('/v2/reused-b/')).length;
  const refused = two.code !== 0 && !two.timedOut;
  return {
    name: 'reused bundle id (second bundle, other ferry.json, same catalog)',
    form: 'directory',
    group: 'identity',
    refused,
    failed: [refused ? `import refused: ${tailOf(two.stderr, 1)}` : 'import accepted it'],
    named: refused && /bundle/i.test(two.stderr) && /id|conflict|already/i.test(two.stderr),
    writes,
    importExit: two.timedOut ? 'hung' : String(two.code),
    hang: two.timedOut ? 'import' : undefined,
    rawEscape: false,
    seconds: (Date.now() - started) / 1000,
    rssKiB: Math.max(one.maxRssKiB ?? 0, two.maxRssKiB ?? 0),
  };
}

/** Runs row 3. */
export async function runCorpus(ctx: RowContext, source: RunningRegistry, fixtures: Record<FixtureName, FixtureImage>, authFile: string): Promise<RowResult> {
  const started = Date.now();
  const good = await goodBundles(ctx, source, fixtures, authFile);
  const builder = new CorpusBuilder(good, join(ctx.work, 'corpus'));
  const target = await startRegistry({ mode: 'anonymous' });
  const proxy = await startFaultProxy({ upstream: target.url });
  const outcomes: CaseOutcome[] = [];
  try {
    await addFileCases(builder);
    await addTarCases(builder);
    await addJsonCases(builder);
    const built = (Date.now() - started) / 1000;
    await mapLimit(builder.cases, ctx.parallel, async (entry, i) => {
      const outcome = await runCase(ctx, proxy, entry, i);
      outcomes[i] = outcome;
      await rm(entry.dir, { recursive: true, force: true });
      if (!outcome.named || outcome.writes > 0 || outcome.hang || outcome.rawEscape)
        process.stdout.write(
          `   corpus: ${outcome.name} (${outcome.form}): ${outcome.refused ? 'refused' : 'NOT refused'} [${outcome.failed.join(', ')}], ${outcome.writes} writes${outcome.hang ? `, HUNG in ${outcome.hang}` : ''}${outcome.rawEscape ? ', raw ESC' : ''}\n`,
        );
    });
    outcomes.push(await reusedIdCase(ctx, proxy, good, source, fixtures, authFile));
    const n = outcomes.length;
    const named = outcomes.filter((o) => o.named).length;
    // Writes outside every case's own prefix would escape the per-case count: there must be none.
    const stray = proxy.requests.filter((r) => isWrite(r) && !/^\/v2\/(corpus-\d+|reused-[ab])\//.test(r.path)).length;
    const writes = outcomes.reduce((sum, o) => sum + o.writes, 0) + stray;
    const hung = outcomes.filter((o) => o.hang);
    const escaped = outcomes.filter((o) => o.rawEscape);
    const maxRss = Math.max(...outcomes.map((o) => o.rssKiB));
    const heavy = outcomes.filter((o) => o.rssKiB > RSS_LIMIT_KIB);
    const slowest = [...outcomes].sort((a, b) => b.seconds - a.seconds)[0];
    const groups = [...new Set(outcomes.map((o) => o.group))].map((g) => `${outcomes.filter((o) => o.group === g).length} ${g}`).join(', ');
    const mib = (kib: number): string => `${(kib / 1024).toFixed(0)} MiB`;
    return {
      test: 'Bad-bundle corpus',
      n,
      seconds: (Date.now() - started) / 1000,
      musts: [
        {
          must: '100% refused by `ferry verify` naming the check',
          ok: named === n && escaped.length === 0,
          detail: `${named} of ${n} refused naming the check${escaped.length > 0 ? `; ${escaped.length} printed raw escape sequences` : ''}`,
        },
        { must: '0 requests that write reach the registry on import', ok: writes === 0, detail: `${writes} writing requests over ${n} imports` },
        { must: `no hang (hard timeout ${CASE_TIMEOUT_MS / 1000} s per process)`, ok: hung.length === 0, detail: `${hung.length} of ${n} hung` },
        {
          must: 'memory under 200 MB (peak RSS of every ferry process)',
          ok: heavy.length === 0,
          detail: `max ${mib(maxRss)}${heavy.length > 0 ? `; over the limit: ${heavy.map((o) => o.name).join(', ')}` : ''}`,
        },
      ],
      figures: [
        `cases: ${groups}`,
        `building the corpus ${built.toFixed(0)} s; slowest case ${slowest?.seconds.toFixed(1)} s (${slowest?.name})`,
        `devices: ${builder.devicesAreReal ? 'real character devices (mknod)' : 'symlinks to /dev/zero and /dev/urandom (mknod refused)'}`,
      ],
      details: [
        'Every case is a copy of a real export (oci-single + a two-platform oci-index; the archive with parts of a fifth of the bundle) damaged in one way.',
        'Links point at identical copies outside the bundle, and crafted tar streams come with matching part hashes, so only the rule under test can refuse them.',
        'A directory bundle without ferry.json is a complete plain OCI layout, which `ferry verify` accepts on purpose (it reads skopeo, oras and crane layouts), so "ferry.json missing" is a case of the archive form only.',
        `Each ferry process of a case has a hard timeout of ${CASE_TIMEOUT_MS / 1000} s; a verify that reaches it is run once more with ${UNBOUNDED_TIMEOUT_MS / 1000} s to tell slow from stuck (shown in "Checks failed"; the case still fails the no-hang must).`,
        '"Named" means `ferry verify --json` exited 1 and one of the checks that describe the damage failed; for the reused id it means the import with the catalog was refused saying why.',
        '',
        '| Case | Form | Refused | Checks failed | Import exit | Writes | Hang | s | Peak RSS |',
        '|---|---|---|---|---|---|---|---|---|',
        ...outcomes.map(
          (o) =>
            `| ${o.name.replace(/\|/g, '\\|')} | ${o.form} | ${o.named ? 'yes' : o.refused ? '**other check**' : '**NO**'}${o.rawEscape ? ' (**raw ESC printed**)' : ''} | ${o.failed.join(', ').replace(/\|/g, '\\|').slice(0, 220)} | ${o.importExit} | ${o.writes > 0 ? `**${o.writes}**` : '0'} | ${o.hang ? `**${o.hang}**` : ''} | ${o.seconds.toFixed(1)} | ${o.rssKiB > RSS_LIMIT_KIB ? `**${mib(o.rssKiB)}**` : mib(o.rssKiB)} |`,
        ),
      ],
    };
  } finally {
    await builder.stop();
    await proxy.stop();
    await target.stop();
  }
}
