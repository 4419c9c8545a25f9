/**
 * What every reliability row is given: a scratch folder, the environment that
 * keeps spawned ferry processes off the developer's catalog, the seeded
 * random source and the loop size.
 */

/** Shared inputs of the rows. */
export interface RowContext {
  /** Scratch folder of this run, removed at the end. */
  work: string;
  /** FERRY_CATALOG and XDG_DATA_HOME of the run, for every spawned ferry. */
  env: Record<string, string>;
  /** Seeded: the run prints the seed so its kill points can be replayed. */
  random: () => number;
  /** Cases per kill loop. */
  n: number;
  /** Cases run at once: the loops wait on fsync and process start as much as on CPU. */
  parallel: number;
}

/** The middle value of a list (NaN for none). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}
