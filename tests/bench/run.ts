/**
 * `npm run bench`: runs every benchmark and prints its numbers side by side
 * with skopeo. Benchmarks report; they do not pass or fail on timings.
 */
import { runCopyBench } from './copy-bench.ts';
import { runExportBench } from './export-bench.ts';
import { runImportBench } from './import-bench.ts';
import { runH2Bench } from './h2-bench.ts';
import { runCatalogBench } from './catalog-bench.ts';
import { runServeBench } from './serve-bench.ts';
import { runScaleBench } from './scale-bench.ts';
import { runSmallImagesBench } from './small-images-bench.ts';
import { runStartupBench } from './startup-bench.ts';
import { runVerifyBench } from './verify-bench.ts';

const only = process.env.FERRY_BENCH_ONLY;
const benches = (
  [
    ['copy', runCopyBench],
    ['export', runExportBench],
    ['import', runImportBench],
    ['h2', runH2Bench],
    ['catalog', runCatalogBench],
    ['serve', runServeBench],
    ['small', runSmallImagesBench],
    ['startup', runStartupBench],
    ['verify', runVerifyBench],
    ['scale', runScaleBench],
  ] as Array<[string, () => Promise<string[]>]>
).filter(([name]) => !only || only === name);

for (const [name, bench] of benches) {
  process.stdout.write(`== ${name}\n`);
  for (const line of await bench()) process.stdout.write(`${line}\n`);
}
process.exit(0);
