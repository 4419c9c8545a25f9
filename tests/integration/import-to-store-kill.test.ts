/**
 * Kill test of `ferry import --to-store` (serve/store-bulk.ts): the real CLI
 * is SIGKILLed at a random moment of an import into a fresh store, ROUNDS
 * times. After every kill the store folder must hold only what a reader may
 * see: every file under blobs/ named by a digest hashes to it (staged temp
 * files are the only other files), every blob link names a blob the store
 * holds, every manifest revision parses and has its bytes, and every tag
 * names a manifest its repository has. Then the same import, run again,
 * completes and every fixture is in the store. The moments are drawn from a
 * seeded generator over the length of one uninterrupted import, printed on
 * failure. (A kill keeps the page cache: this checks the order files become
 * visible in; the fsync barriers are what carry that order across a power cut.)
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src-main/serve/store.ts';
import { emptyAuthFile } from '../harness/ferry-access.ts';
import { buildFixtures, seedFixtures, type FixtureImage, type FixtureName } from '../harness/fixtures.ts';
import { startRegistry } from '../harness/registry.ts';
import { Teardown } from '../harness/teardown.ts';
import { runFerry } from '../harness/test-helpers.ts';
import { bundleCliForTest } from '../harness/cli-bundle.ts';
import { seededRandom } from '../harness/seeded-random.ts';

const ROUNDS = 8;
const NAMES: FixtureName[] = ['oci-single', 'docker-schema2', 'oci-index', 'docker-list', 'artifact-referrer', 'empty-layer', 'big-layers'];
const SEED = Number(process.env.FERRY_KILL_SEED ?? Date.now() % 1_000_000);
const DIGEST_NAME = /^[a-f0-9]{64}$/;

const teardown = new Teardown();
let work = '';
let bundle = '';
let ferryBin = '';
let fixtures: Record<FixtureName, FixtureImage>;

afterAll(async () => {
  await teardown.run();
  if (work) await rm(work, { recursive: true, force: true });
});

beforeAll(async () => {
  // The CLI bundled as `npm run build:cli` does it, in a folder of its own: it starts in a second where tsx takes ten.
  ferryBin = await bundleCliForTest('import-store-kill-cli');
  const source = teardown.add(await startRegistry({ mode: 'anonymous' }), (started) => started.stop());
  fixtures = await buildFixtures();
  await seedFixtures(source, Object.values(fixtures));
  work = await mkdtemp(join(tmpdir(), 'ferry-import-store-kill-'));
  const list = join(work, 'images.txt');
  await writeFile(list, NAMES.map((name) => `${source.host}/${fixtures[name].repository}:${fixtures[name].tag}`).join('\n'));
  bundle = join(work, 'bundle');
  const result = await runFerry('export', '--to', bundle, '--images', list, '--plain-http', '--authfile', emptyAuthFile);
  if (result.code !== 0) throw new Error(`export failed: ${result.stderr}`);
}, 300_000);

const sha256 = (bytes: Buffer): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/** Runs the import into `store`, SIGKILLed after `killAfterMs` (never when undefined); resolves with its exit code or signal and its wall time. */
function importInto(store: string, round: number, killAfterMs?: number): Promise<{ code: number | null; signal: string | null; ms: number }> {
  const args = [ferryBin, 'import', bundle, '--to-store', store, '--catalog', join(work, `catalog-${round}.sqlite`), '--receipt', join(work, `receipt-${round}.json`)];
  const started = Date.now();
  const child = spawn(process.execPath, args, { stdio: 'ignore' });
  const timer = killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, ms: Date.now() - started });
    });
  });
}

/** Every file under a folder, as paths relative to it with `/` separators. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((entry) => entry.isFile()).map((entry) => relative(dir, join(entry.parentPath, entry.name)).split(sep).join('/'));
}

/** What a reader may see after a kill: problems found (empty when the store is consistent). */
async function storeProblems(store: string): Promise<string[]> {
  const problems: string[] = [];
  const blobs = new Set<string>();
  for (const file of await filesUnder(join(store, 'blobs'))) {
    const name = file.split('/').at(-1) ?? '';
    if (/\.tmp-[0-9a-f]+$/.test(name)) continue;
    if (!DIGEST_NAME.test(name)) problems.push(`stray file blobs/${file}`);
    else if (sha256(await readFile(join(store, 'blobs', file))) !== `sha256:${name}`) problems.push(`blobs/${file} does not match its digest`);
    else blobs.add(`sha256:${name}`);
  }
  const repositories = join(store, 'repositories');
  const revisions = new Set<string>();
  const files = await filesUnder(repositories);
  for (const file of files) {
    const match = /^(.+)\/_manifests\/revisions\/sha256\/([a-f0-9]{64})$/.exec(file);
    if (!match) continue;
    const digest = `sha256:${match[2]}`;
    revisions.add(`${match[1]}@${digest}`);
    const text = await readFile(join(repositories, file), 'utf8');
    if (!/^\{"mediaType":".+"\}\n$/.test(text)) problems.push(`${file} holds ${JSON.stringify(text)}`);
    if (!blobs.has(digest)) problems.push(`${file}: its manifest is not in blobs/`);
  }
  for (const file of files) {
    const layer = /\/_layers\/sha256\/([a-f0-9]{64})$/.exec(file);
    if (layer && !blobs.has(`sha256:${layer[1]}`)) problems.push(`${file} links a blob the store does not hold`);
    const tag = /^(.+)\/_manifests\/tags\/[^/]+\/link$/.exec(file);
    if (tag) {
      const digest = (await readFile(join(repositories, file), 'utf8')).trim();
      if (!revisions.has(`${tag[1]}@${digest}`)) problems.push(`${file} names ${digest}, which ${tag[1]} does not have`);
    }
  }
  return problems;
}

describe('ferry import --to-store killed at random moments', () => {
  it(`leaves only whole, linked-in-order files and completes on rerun (${ROUNDS} kills)`, { timeout: 900_000 }, async () => {
    const random = seededRandom(SEED);
    // The window is the shorter of two uninterrupted runs: the first reads a cold bundle, and the rounds run warm.
    const cold = await importInto(join(work, 'store-calibrate'), 0);
    expect(cold.code).toBe(0);
    const warm = await importInto(join(work, 'store-calibrate-warm'), 0);
    expect(warm.code).toBe(0);
    const windowMs = Math.min(cold.ms, warm.ms);
    let killedMidway = 0;
    for (let round = 1; round <= ROUNDS; round += 1) {
      const store = join(work, `store-${round}`);
      const moment = Math.floor(random() * windowMs);
      const killed = await importInto(store, round, moment);
      if (killed.signal === 'SIGKILL') killedMidway += 1;
      expect(await storeProblems(store), `seed ${SEED}, round ${round}, kill at ${moment} ms`).toEqual([]);
      const rerun = await importInto(store, round);
      expect(rerun.code, `seed ${SEED}, round ${round}: the rerun failed`).toBe(0);
      expect(await storeProblems(store)).toEqual([]);
      const reader = await openStore(store, { readOnly: true });
      for (const name of NAMES) expect((await reader.manifest(fixtures[name].repository, fixtures[name].tag))?.digest, `${name}, round ${round}`).toBe(fixtures[name].manifestDigest);
      await reader.close();
      await rm(store, { recursive: true, force: true });
    }
    // Most kills land inside the import (one uninterrupted run sets the window).
    expect(killedMidway, `seed ${SEED}`).toBeGreaterThan(ROUNDS / 2);
  });
});
