import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBack } from '../../src-main/bundle/read-back.ts';
import { emptyAuthFile } from '../harness/ferry-access.ts';
import { startFaultProxy, type FaultProxy } from '../harness/fault-proxy.ts';
import { buildFixtures, seedFixtures, type FixtureImage, type FixtureName } from '../harness/fixtures.ts';
import { startRegistry, type RunningRegistry } from '../harness/registry.ts';
import { Teardown } from '../harness/teardown.ts';
import { skopeoInspectRawDigest } from '../harness/skopeo.ts';
import { skopeoCopyOut } from '../harness/bundle-oracle.ts';

const BIN = join(process.cwd(), 'src-main', 'cli', 'bin.mjs');
/** Kills per form: each at a different point of the export. */
const KILLS = 4;

let source: RunningRegistry;
let target: RunningRegistry;
let proxy: FaultProxy;
let fixtures: Record<FixtureName, FixtureImage>;
let work: string;

const teardown = new Teardown();

beforeAll(async () => {
  const anonymous = async (): Promise<RunningRegistry> => teardown.add(await startRegistry({ mode: 'anonymous' }), (started) => started.stop());
  [source, target] = await Promise.all([anonymous(), anonymous()]);
  fixtures = await buildFixtures();
  await seedFixtures(source, [fixtures['big-layers'], fixtures['oci-index'], fixtures['docker-schema2']]);
  proxy = teardown.add(await startFaultProxy({ upstream: source.url }), (started) => started.stop());
  work = await mkdtemp(join(tmpdir(), 'ferry-kill-test-'));
});

afterAll(async () => {
  await teardown.run();
  if (work) await rm(work, { recursive: true, force: true });
});

/** A small deterministic generator, so a failing run can be replayed with the same kill points. */
function lcg(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

/** Runs `ferry ARGS`; with `killAfterMs` sends SIGKILL then. Resolves with the exit code, or 'killed'. */
function ferryProcess(args: string[], killAfterMs?: number): Promise<number | 'killed'> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const timer = killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      if (signal === 'SIGKILL') resolve('killed');
      else if (code === 0) resolve(0);
      else reject(new Error(`ferry exited ${code}: ${stderr}`));
    });
  });
}

/** A bundle folder is acceptable only when every byte checks out; anything else must be refused. */
async function accepted(dir: string): Promise<boolean> {
  try {
    await readBack(dir);
    return true;
  } catch {
    return false;
  }
}

for (const form of ['directory', 'archive'] as const) {
  describe(`SIGKILL during a ${form} export`, () => {
    it(`never leaves an accepted half bundle, and reruns finish it (${KILLS} kills)`, async () => {
      const dir = join(work, form);
      const refs = (['big-layers', 'oci-index', 'docker-schema2'] as FixtureName[]).map((n) => `${proxy.host}/${fixtures[n].repository}:${fixtures[n].tag}`);
      const args = ['export', '--to', dir, ...refs, '--plain-http', '--authfile', emptyAuthFile, ...(form === 'archive' ? ['--archive', '--part-size', '1MiB'] : [])];
      // Blobs arrive at 3 MB/s, so the export takes seconds and a kill lands in the middle of writes.
      proxy.addFault({ method: 'GET', path: /\/blobs\/sha256:/, times: 10_000, fault: { kind: 'slow-body', bytesPerSecond: 3_000_000 } });
      const random = lcg(form === 'directory' ? 7 : 11);
      const outcomes: string[] = [];
      try {
        for (let kill = 0; kill < KILLS; kill += 1) {
          const delay = Math.round(300 + random() * 2200);
          const outcome = await ferryProcess(args, delay);
          const finished = existsSync(join(dir, 'ferry.json'));
          outcomes.push(`${delay} ms: ${outcome}, ferry.json ${finished ? 'present' : 'absent'}`);
          // The invariant: a folder is accepted exactly when its ferry.json is there, and then it is whole.
          expect(await accepted(dir), outcomes.join('; ')).toBe(finished);
          if (finished) break;
        }
      } finally {
        proxy.clearFaults();
      }
      expect(await ferryProcess(args)).toBe(0);
      expect(await accepted(dir)).toBe(true);
      expect(outcomes.filter((o) => o.includes('killed')).length, outcomes.join('; ')).toBeGreaterThan(0);
      if (form === 'directory') {
        const fixture = fixtures['big-layers'];
        await skopeoCopyOut(dir, `${proxy.host}/${fixture.repository}:${fixture.tag}`, `docker://${target.host}/after-kills/big:v1`);
        expect(await skopeoInspectRawDigest(`docker://${target.host}/after-kills/big:v1`, target)).toBe(fixture.manifestDigest);
      }
    });
  });
}
