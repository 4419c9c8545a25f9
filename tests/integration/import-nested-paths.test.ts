/**
 * `ferry import --max-nested-paths N` into a real Distribution registry: every
 * image lands at its folded path (nestPath), and the registries.conf the same
 * import writes sends a digest pull of each source repository to that folded
 * mirror, as skopeo (containers/image) reads it, with the source registry gone.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nestPath } from '../../src-main/transfer/nested-paths.ts';
import { emptyAuthFile } from '../harness/ferry-access.ts';
import { buildFixtures, seedFixtures, type FixtureImage, type FixtureName } from '../harness/fixtures.ts';
import { startRegistry, type RunningRegistry } from '../harness/registry.ts';
import { skopeoInspectRawDigest } from '../harness/skopeo.ts';
import { Teardown } from '../harness/teardown.ts';
import { runFerry } from '../harness/test-helpers.ts';

const NAMES: FixtureName[] = ['oci-single', 'oci-index', 'docker-list'];
let source: RunningRegistry;
let target: RunningRegistry;
let fixtures: Record<FixtureName, FixtureImage>;
let sourceHost: string;
let work: string;
let bundle: string;

const teardown = new Teardown();

/** `skopeo --registries-conf CONF inspect --raw` of a reference, the digest of what came back (or the failure). */
function inspectThrough(conf: string, reference: string): Promise<string> {
  return new Promise((resolve) => {
    execFile('skopeo', ['--registries-conf', conf, 'inspect', '--raw', '--no-creds', reference], { encoding: 'buffer', timeout: 120_000 }, (error, stdout, stderr) => {
      resolve(error ? `failed: ${stderr.toString('utf8')}` : `sha256:${createHash('sha256').update(stdout).digest('hex')}`);
    });
  });
}

beforeAll(async () => {
  source = await startRegistry({ mode: 'anonymous' });
  target = teardown.add(await startRegistry({ mode: 'anonymous' }), (started) => started.stop());
  fixtures = await buildFixtures();
  await seedFixtures(
    source,
    NAMES.map((name) => fixtures[name]),
  );
  sourceHost = source.host;
  work = await mkdtemp(join(tmpdir(), 'ferry-nested-paths-'));
  const list = join(work, 'images.txt');
  await writeFile(list, NAMES.map((name) => `${source.host}/${fixtures[name].repository}:${fixtures[name].tag}`).join('\n'));
  bundle = join(work, 'bundle');
  const exported = await runFerry('export', '--to', bundle, '--images', list, '--plain-http', '--authfile', emptyAuthFile);
  if (exported.code !== 0) throw new Error(`export failed: ${exported.stderr}`);
  // The source is gone from here on: only the mirror can answer a digest pull of it.
  await source.stop();
});

afterAll(async () => {
  await teardown.run();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('ferry import --max-nested-paths', () => {
  it('lands every image at its folded path, and the generated registries.conf resolves each source digest there', async () => {
    const config = join(work, 'mirror-config');
    const result = await runFerry('import', bundle, '--to', `${target.host}/mirror`, '--max-nested-paths', '2', '--mirror-config', config, '--plain-http', '--authfile', emptyAuthFile, '--json');
    expect(result.code, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout) as { images: Array<{ source: string; destination: string }>; mappings: Array<{ source: string; mirror: string }> };
    for (const name of NAMES) {
      const fixture = fixtures[name];
      const folded = nestPath(`mirror/${fixture.repository}`, 2);
      expect(folded.split('/'), name).toHaveLength(2);
      expect(summary.mappings).toContainEqual({ source: `${sourceHost}/${fixture.repository}`, mirror: `${target.host}/${folded}` });
      // The image is there by digest at the folded path …
      expect(await skopeoInspectRawDigest(`docker://${target.host}/${folded}@${fixture.manifestDigest}`, target), name).toBe(fixture.manifestDigest);
      // … and a runtime reading Ferry's registries.conf finds it from the source reference alone.
      const conf = join(config, 'registries.conf.d', '99-ferry-mirror.conf');
      expect(await inspectThrough(conf, `docker://${sourceHost}/${fixture.repository}@${fixture.manifestDigest}`), name).toBe(fixture.manifestDigest);
    }
    // Without the mirror configuration the same pull fails (the source is stopped): the test can fail.
    const empty = join(work, 'empty.conf');
    await writeFile(empty, '');
    const first = fixtures[NAMES[0] as FixtureName];
    expect(await inspectThrough(empty, `docker://${sourceHost}/${first.repository}@${first.manifestDigest}`)).toMatch(/^failed/);
  });

  it('takes the same flag on copy --set only, and refuses a limit that is no whole number from 1', async () => {
    const list = join(work, 'images.txt');
    const copy = await runFerry('copy', '--images', list, '--to', `${target.host}/mirror`, '--max-nested-paths', '2');
    expect(copy.code).toBe(2);
    expect(copy.stderr).toContain('--max-nested-paths goes with --set FILE');
    const zero = await runFerry('import', bundle, '--to', `${target.host}/mirror`, '--max-nested-paths', '0', '--plain-http');
    expect(zero.code).toBe(2);
    expect(zero.stderr).toContain('--max-nested-paths must be a whole number from 1 to 64, got "0"');
  });

  it('refuses a target path that leaves no room under the limit, naming it and N, before anything is read', async () => {
    const result = await runFerry('import', bundle, '--to', `${target.host}/a/b`, '--max-nested-paths', '2', '--plain-http', '--authfile', emptyAuthFile);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('"a/b"');
    expect(result.stderr).toContain('at most 2 level');
  });
});
