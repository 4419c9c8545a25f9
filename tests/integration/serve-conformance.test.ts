/**
 * Differential conformance: the same scripted raw-HTTP sequence
 * (tests/harness/conformance-script.ts) goes to Debian's Distribution 2.8 and
 * to `ferry serve` (startServe, what the CLI runs), anonymous over HTTP and
 * with `--tls auto` + htpasswd (verified against the CA it wrote), and the
 * normalised transcripts must agree — except for the differences listed in
 * conformance-allow-list.ts, each of which is a row of docs/serve.md's
 * "Differences from Distribution" with the reason (the spec's text wins over
 * Distribution's behaviour). A new difference, a documented one that is gone,
 * or a documented one whose ferry value changed all fail.
 */
import { execFile } from 'node:child_process';
import { readFile, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServe } from '../../src-main/usecases/serve.ts';
import { removeDir, trackDir } from '../harness/cleanup.ts';
import { CONFORMANCE_ALLOWANCES } from '../harness/conformance-allow-list.ts';
import { checkAllowList, diffTranscripts } from '../harness/conformance-diff.ts';
import type { Difference } from '../harness/conformance-diff.ts';
import type { ConformanceTarget, TranscriptEntry } from '../harness/conformance-http.ts';
import { runConformanceScript } from '../harness/conformance-script.ts';
import { startRegistry } from '../harness/registry.ts';
import { Teardown } from '../harness/teardown.ts';

const execFileAsync = promisify(execFile);
const MODES = ['anonymous', 'tls-basic'] as const;
type Mode = (typeof MODES)[number];
/** The account both registries get in tls-basic mode. */
const USER = { username: 'conformance', password: 'conformance-secret-7' };

const teardown = new Teardown();
afterAll(() => teardown.run());

async function distributionTranscript(mode: Mode): Promise<TranscriptEntry[]> {
  const registry = await startRegistry(mode === 'anonymous' ? { mode } : { mode, users: [USER] });
  try {
    const target: ConformanceTarget = { url: registry.url, ...(registry.caPem ? { caPem: registry.caPem } : {}), ...(mode === 'tls-basic' ? { credentials: USER } : {}) };
    return await runConformanceScript(target);
  } finally {
    await registry.stop();
  }
}

/** `ferry serve --storage DIR --listen 127.0.0.1:0 [--tls auto --htpasswd FILE]`, started through the use case the CLI calls. */
async function ferryTranscript(mode: Mode): Promise<TranscriptEntry[]> {
  const dir = await mkdtemp(join(tmpdir(), `ferry-conformance-${mode}-`));
  trackDir(dir);
  teardown.add(dir, removeDir);
  let htpasswd: string | undefined;
  if (mode === 'tls-basic') {
    htpasswd = join(dir, 'htpasswd');
    const { stdout } = await execFileAsync('htpasswd', ['-Bbn', USER.username, USER.password], { timeout: 30_000 });
    await writeFile(htpasswd, stdout);
  }
  const faults: string[] = [];
  const served = await startServe({
    storage: join(dir, 'store'),
    listen: { host: '127.0.0.1', port: 0 },
    ...(htpasswd !== undefined ? { tls: { mode: 'auto' as const, names: [] }, htpasswd } : {}),
    onRequest: (line) => {
      if (line.status >= 500) faults.push(`${line.method} ${line.path}: ${line.status}`);
    },
  });
  try {
    expect(served.url.startsWith(mode === 'tls-basic' ? 'https://' : 'http://')).toBe(true);
    const caPem = served.caFile !== undefined ? await readFile(served.caFile, 'utf8') : undefined;
    const transcript = await runConformanceScript({ url: served.url, ...(caPem !== undefined ? { caPem, credentials: USER } : {}) });
    expect(faults, 'ferry serve answered 5xx to').toEqual([]);
    return transcript;
  } finally {
    await served.close();
  }
}

function show(differences: readonly Difference[]): string {
  return differences.map((d) => `  ${d.step} ${d.field}\n    distribution: ${d.distribution}\n    ferry:        ${d.ferry}`).join('\n');
}

describe.each(MODES)('ferry serve against Distribution, %s', (mode) => {
  let distribution: TranscriptEntry[];
  let ferry: TranscriptEntry[];
  beforeAll(async () => {
    // One after the other: each script run is quick, and 2 shared cores do not need two registries busy at once.
    distribution = await distributionTranscript(mode);
    ferry = await ferryTranscript(mode);
  });

  it('ran every step against both registries', () => {
    expect(ferry.map((e) => e.step)).toEqual(distribution.map((e) => e.step));
    expect(distribution.length).toBeGreaterThan(100);
  });

  it('answers as Distribution does, except for the documented differences, with exactly the documented values', () => {
    const steps = new Set(ferry.map((e) => e.step));
    const check = checkAllowList(diffTranscripts(distribution, ferry), CONFORMANCE_ALLOWANCES, steps);
    const report = [
      check.unexpected.length > 0 ? `undocumented differences:\n${show(check.unexpected)}` : '',
      check.wrongValue.length > 0
        ? `documented differences with another ferry value:\n${check.wrongValue.map((w) => `  [${w.id}] ${w.step} ${w.field}: documented ${w.allowed}, got ${w.ferry}`).join('\n')}`
        : '',
      check.stale.length > 0 ? `documented differences that no longer occur:\n${check.stale.map((s) => `  [${s.id}] ${s.step} ${s.field}`).join('\n')}` : '',
    ]
      .filter((part) => part !== '')
      .join('\n');
    expect(report).toBe('');
  });
});

it('the allow-list and docs/serve.md "Differences from Distribution" name the same differences', async () => {
  const docs = await readFile(new URL('../../docs/serve.md', import.meta.url), 'utf8');
  const section = /^## Differences from Distribution\s*$([\s\S]*?)(?=^## |(?![\s\S]))/m.exec(docs)?.[1] ?? '';
  expect(section, 'docs/serve.md has a "## Differences from Distribution" section').not.toBe('');
  const documented = [...section.matchAll(/^\|\s*`([a-z0-9-]+)`\s*\|/gm)].map((m) => m[1]);
  expect(documented.sort()).toEqual(CONFORMANCE_ALLOWANCES.map((a) => a.id).sort());
});
