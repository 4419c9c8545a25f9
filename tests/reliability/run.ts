/**
 * `npm run reliability`: bounded loops on loopback that measure what issue 11
 * promises (kills during export and import, the bad-bundle corpus, registry
 * faults, media that changes after verification), write docs/reliability.md
 * and exit non-zero when a "must" is broken. Not part of `npm test`: it takes
 * minutes. FERRY_RELIABILITY_SEED replays a run's kill points,
 * FERRY_RELIABILITY_N sets the kill loops' size (default 50),
 * FERRY_RELIABILITY_ONLY=export,import,corpus,faults,media runs some rows and
 * then leaves docs/reliability.md alone unless FERRY_RELIABILITY_OUT names a file.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { emptyAuthFile } from '../harness/ferry-access.ts';
import { buildFixtures, seedFixtures, type FixtureName } from '../harness/fixtures.ts';
import { startRegistry } from '../harness/registry.ts';
import { Teardown } from '../harness/teardown.ts';
import { runCorpus } from './corpus-run.ts';
import { seededRandom } from '../harness/seeded-random.ts';
import { runRegistryFaults } from './faults.ts';
import { runExportKills } from './kill-export.ts';
import { runImportKills } from './kill-import.ts';
import { runMediaSwap } from './media-swap.ts';
import { brokenMusts, writeReport, type RowResult } from './report.ts';
import type { RowContext } from './row-context.ts';

const ROWS = ['export', 'import', 'corpus', 'faults', 'media'] as const;
const only = process.env.FERRY_RELIABILITY_ONLY?.split(',').filter((r) => r.length > 0);
const wanted = (row: (typeof ROWS)[number]): boolean => !only || only.includes(row);
const seed = Number(process.env.FERRY_RELIABILITY_SEED ?? Math.floor(Math.random() * 2 ** 31));
const n = Number(process.env.FERRY_RELIABILITY_N ?? 50);
const out = process.env.FERRY_RELIABILITY_OUT ?? (only ? undefined : join(process.cwd(), 'docs', 'reliability.md'));
/** The images every kill loop carries: three 2 MiB layers, a two-platform index and a Docker schema 2 image. */
const KILL_FIXTURES: FixtureName[] = ['big-layers', 'oci-index', 'docker-schema2'];
/** What the kill loops' layers weigh: small enough that ~250 ferry runs fit in minutes, large enough for several reads per blob. */
const BIG_LAYER_BYTES = 2 * 1024 * 1024;

const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

async function main(): Promise<number> {
  const started = new Date();
  const loadBefore = loadavg()[0] ?? 0;
  say(`reliability: seed ${seed}, N ${n}, rows ${(only ?? ROWS).join(', ')}`);
  const work = await mkdtemp(join(tmpdir(), 'ferry-reliability-'));
  const teardown = new Teardown();
  const rows: RowResult[] = [];
  const ctx: RowContext = {
    work,
    env: { FERRY_CATALOG: join(work, 'catalog.sqlite'), XDG_DATA_HOME: join(work, 'data') },
    random: seededRandom(seed),
    n,
    parallel: Number(process.env.FERRY_RELIABILITY_PARALLEL ?? 2),
  };
  const record = (row: RowResult): void => {
    rows.push(row);
    say(`== ${row.test}: N ${row.n}, ${row.seconds.toFixed(0)} s`);
    for (const must of row.musts) say(`   ${must.ok ? 'pass' : 'FAIL'}  ${must.must}: ${must.detail}`);
    for (const figure of row.figures) say(`         ${figure}`);
  };
  try {
    const source = teardown.add(await startRegistry({ mode: 'anonymous' }), (r) => r.stop());
    const fixtures = await buildFixtures({ bigLayerBytes: BIG_LAYER_BYTES });
    await seedFixtures(
      source,
      [...KILL_FIXTURES, 'oci-single' as const].map((name) => fixtures[name]),
    );
    const refs = KILL_FIXTURES.map((name) => `${source.host}/${fixtures[name].repository}:${fixtures[name].tag}`);
    const references = { directory: join(work, 'reference-directory'), archive: join(work, 'reference-archive') };
    await mkdir(ctx.env.XDG_DATA_HOME ?? work, { recursive: true });
    for (const form of ['directory', 'archive'] as const) {
      if (wanted('export')) record(await runExportKills(ctx, refs, emptyAuthFile, form, references[form]));
    }
    if (wanted('import')) record(await runImportKills(ctx, refs, emptyAuthFile, references));
    if (wanted('corpus')) record(await runCorpus(ctx, source, fixtures, emptyAuthFile));
    if (wanted('faults')) record(await runRegistryFaults(ctx, fixtures));
    if (wanted('media')) record(await runMediaSwap(ctx, source, fixtures, emptyAuthFile));
  } finally {
    await teardown.run();
    await rm(work, { recursive: true, force: true });
  }
  const seconds = (Date.now() - started.getTime()) / 1000;
  const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  // The load average says how much else ran: the run shares its cores with whatever else the machine does.
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, ${process.platform}; load average ${loadBefore.toFixed(1)} at the start, ${(loadavg()[0] ?? 0).toFixed(1)} at the end`;
  if (out) {
    await writeReport(out, { started, seconds, seed, machine, commit }, rows);
    say(`wrote ${out}`);
  }
  const broken = brokenMusts(rows);
  say(`reliability: ${(seconds / 60).toFixed(1)} min, ${broken.length === 0 ? 'every must held' : `${broken.length} must(s) broken`} (seed ${seed})`);
  return broken.length === 0 ? 0 : 1;
}

process.exit(await main());
