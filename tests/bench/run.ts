/**
 * `npm run bench`: runs every benchmark and prints its numbers side by side
 * with skopeo. Benchmarks report; they do not pass or fail on timings.
 */
import { runCopyBench } from './copy-bench.ts';

const benches: Array<[string, () => Promise<string[]>]> = [['copy', runCopyBench]];

for (const [name, bench] of benches) {
  process.stdout.write(`== ${name}\n`);
  for (const line of await bench()) process.stdout.write(`${line}\n`);
}
process.exit(0);
