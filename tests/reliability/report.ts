/**
 * The shape every reliability row reports in, and docs/reliability.md written
 * from them: one summary table (N, time, each must with pass/fail, the
 * measured figures), then each row's details.
 */
import { writeFile } from 'node:fs/promises';
import { format, resolveConfig } from 'prettier';

/** One "must" of a row and whether this run kept it. */
export interface MustResult {
  must: string;
  ok: boolean;
  /** What was measured against it, e.g. "0 of 50 accepted early". */
  detail: string;
}

/** One row of the table. */
export interface RowResult {
  test: string;
  n: number;
  seconds: number;
  musts: MustResult[];
  /** Measured figures, one short phrase each. */
  figures: string[];
  /** Markdown below the table: per-case lines, notes on what legitimately differs. */
  details: string[];
}

/** Run-wide facts printed above the table. */
export interface RunFacts {
  started: Date;
  seconds: number;
  seed: number;
  machine: string;
  commit: string;
}

const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The failures of a run, one line each; empty when every must held. */
export function brokenMusts(rows: readonly RowResult[]): string[] {
  return rows.flatMap((row) => row.musts.filter((m) => !m.ok).map((m) => `${row.test}: ${m.must} — ${m.detail}`));
}

/** Writes docs/reliability.md from the rows of one run. */
export async function writeReport(path: string, facts: RunFacts, rows: readonly RowResult[]): Promise<void> {
  const broken = brokenMusts(rows);
  const lines = [
    '# Reliability figures',
    '',
    'Written by `npm run reliability` (tests/reliability/run.ts); do not edit by hand. Every figure below was',
    'measured by the run named here, on loopback only, against the real `docker-registry` (Distribution) and',
    'the built `ferry` CLI run as its own process. The run exits non-zero when a "must" is broken.',
    '',
    `- Run: ${facts.started.toISOString()}, ${(facts.seconds / 60).toFixed(1)} min, commit \`${facts.commit}\``,
    `- Seed: \`${facts.seed}\` (replay the same kill points with \`FERRY_RELIABILITY_SEED=${facts.seed} npm run reliability\`)`,
    `- Machine: ${facts.machine}`,
    `- Result: ${broken.length === 0 ? '**every must held**' : `**${broken.length} must(s) broken**`}`,
    '',
    '| Test | N | Time | Must | Result | Measured |',
    '|---|---|---|---|---|---|',
  ];
  for (const row of rows) {
    row.musts.forEach((must, i) => {
      const head = i === 0 ? [cell(row.test), String(row.n), `${row.seconds.toFixed(0)} s`] : ['', '', ''];
      const figures = i === 0 ? row.figures.map(cell).join('; ') : '';
      lines.push(`| ${[...head, cell(must.must), `${must.ok ? 'pass' : '**FAIL**'}: ${cell(must.detail)}`, figures].join(' | ')} |`);
    });
  }
  if (broken.length > 0) lines.push('', '## Broken musts', '', ...broken.map((b) => `- ${b}`));
  for (const row of rows) lines.push('', `## ${row.test}`, '', ...row.details);
  // Formatted as the repository's `prettier --check .` expects, so the generated file passes `npm test`.
  const options = (await resolveConfig(path)) ?? {};
  await writeFile(path, await format(`${lines.join('\n')}\n`, { ...options, filepath: path }));
}
