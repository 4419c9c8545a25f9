/**
 * The mapping, proven against a real Distribution registry: an import checks
 * the mirror configuration it wrote (every image resolves through every
 * format), and `ferry mirror-config check` catches configuration with one
 * wrong location by the image's and the location's names — registries.conf,
 * IDMS and hosts.toml. The resolver is cross-checked with a real consumer:
 * skopeo given the broken registries.conf pulls exactly the images the check
 * says resolve (the source is stopped, so only the mirror can answer).
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MirrorCheckReport } from '../../src-shared/model/mirror-check.ts';
import { emptyAuthFile } from '../harness/ferry-access.ts';
import { buildFixtures, seedFixtures, type FixtureImage, type FixtureName } from '../harness/fixtures.ts';
import { startRegistry, type RunningRegistry } from '../harness/registry.ts';
import { Teardown } from '../harness/teardown.ts';
import { runFerry } from '../harness/test-helpers.ts';

const NAMES: FixtureName[] = ['oci-single', 'docker-schema2', 'oci-index'];
/** The image whose mirror location the broken files get wrong. */
const BROKEN: FixtureName = 'docker-schema2';

const teardown = new Teardown();
let source: RunningRegistry;
let site: RunningRegistry;
let fixtures: Record<FixtureName, FixtureImage>;
let work: string;
let bundle: string;
let sourceHost: string;
let importOut: string;

const flags = (): string[] => ['--plain-http', '--authfile', emptyAuthFile];
const pinned = (name: FixtureName): string => `${sourceHost}/${fixtures[name].repository}@${fixtures[name].manifestDigest}`;

async function check(dir: string, ...extra: string[]): Promise<{ code: number; report: MirrorCheckReport; stderr: string }> {
  const result = await runFerry('mirror-config', 'check', dir, '--registry', `${site.host}/site`, '--bundle', bundle, '--json', ...flags(), ...extra);
  return { code: result.code, report: JSON.parse(result.stdout || '{}') as MirrorCheckReport, stderr: result.stderr };
}

/** A folder holding only `relative` of the generated configuration, with `from` replaced by `to` in it. */
async function brokenCopy(name: string, relative: string, from: string, to: string): Promise<string> {
  const dir = join(work, name);
  const text = await readFile(join(work, 'config', ...relative.split('/')), 'utf8');
  expect(text.split(from).length - 1, `${relative} names ${from} once`).toBe(1);
  await mkdir(join(dir, ...relative.split('/').slice(0, -1)), { recursive: true });
  await writeFile(join(dir, ...relative.split('/')), text.replace(from, to));
  return dir;
}

/** `skopeo --registries-conf CONF inspect --raw` succeeds: containers/image resolved the reference somewhere that answers. */
function skopeoResolves(conf: string, reference: string): Promise<boolean> {
  return new Promise((resolve) => {
    execFile('skopeo', ['--registries-conf', conf, 'inspect', '--raw', '--no-creds', `docker://${reference}`], { timeout: 120_000 }, (error) => resolve(error === null));
  });
}

beforeAll(async () => {
  fixtures = await buildFixtures({ bigLayerCount: 0 });
  const anonymous = async (): Promise<RunningRegistry> => teardown.add(await startRegistry({ mode: 'anonymous' }), (started) => started.stop());
  [source, site] = await Promise.all([anonymous(), anonymous()]);
  sourceHost = source.host;
  await seedFixtures(
    source,
    NAMES.map((n) => fixtures[n]),
  );
  work = await mkdtemp(join(tmpdir(), 'ferry-mirror-check-'));
  const list = join(work, 'images.txt');
  await writeFile(list, NAMES.map((n) => `${source.host}/${fixtures[n].repository}:${fixtures[n].tag}`).join('\n'));
  bundle = join(work, 'bundle');
  const exported = await runFerry('export', '--to', bundle, '--images', list, ...flags());
  expect(exported.code, exported.stderr).toBe(0);
  // From here on only the site registry can answer for the source host.
  await source.stop();
  const imported = await runFerry('import', bundle, '--to', `${site.host}/site`, '--mirror-config', join(work, 'config'), ...flags());
  expect(imported.code, imported.stderr).toBe(0);
  importOut = imported.stdout;
}, 300_000);

afterAll(async () => {
  await teardown.run();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('after an import', () => {
  it('checks the configuration it wrote: every image resolves through every format', () => {
    expect(importOut).toContain('Mirror configuration checked: 3 image(s) resolve through registries.conf, IDMS, ITMS, ICSP, hosts.toml');
  });

  it('ferry mirror-config check agrees on the generated folder, exit 0', async () => {
    const { code, report, stderr } = await check(join(work, 'config'));
    expect(code, stderr).toBe(0);
    expect(report).toMatchObject({ images: 3, resolved: 3, ok: true, formats: ['registries.conf', 'IDMS', 'ITMS', 'ICSP', 'hosts.toml'] });
    expect(report.rows.every((row) => row.state === 'resolves')).toBe(true);
  });
});

describe('a deliberately broken configuration', () => {
  it('registries.conf with one wrong location: the check names that image and location, the others resolve, and skopeo agrees', async () => {
    const right = `${site.host}/site/${fixtures[BROKEN].repository}`;
    const wrong = `${site.host}/site/typo/${fixtures[BROKEN].repository}`;
    const dir = await brokenCopy('broken-conf', 'registries.conf.d/99-ferry-mirror.conf', `"${right}"`, `"${wrong}"`);
    const { code, report } = await check(dir);
    expect(code).toBe(1);
    expect(report).toMatchObject({ images: 3, resolved: 2, ok: false, formats: ['registries.conf'] });
    const failing = report.rows.filter((row) => row.state !== 'resolves');
    expect(failing).toHaveLength(1);
    expect(failing[0]).toMatchObject({ image: pinned(BROKEN), state: 'missing', rule: `${sourceHost}/${fixtures[BROKEN].repository}`, file: 'registries.conf.d/99-ferry-mirror.conf' });
    expect(failing[0]?.detail).toContain(pinned(BROKEN));
    expect(failing[0]?.detail).toContain(wrong);

    // The table names them too.
    const table = await runFerry('mirror-config', 'check', dir, '--registry', `${site.host}/site`, '--bundle', bundle, ...flags());
    expect(table.code).toBe(1);
    expect(table.stdout).toContain(wrong);
    expect(table.stdout).toContain('2 of 3 image(s) resolve through registries.conf');

    // A real consumer resolves exactly where the check says it does.
    const conf = join(dir, 'registries.conf.d', '99-ferry-mirror.conf');
    for (const name of NAMES) expect(await skopeoResolves(conf, pinned(name)), name).toBe(name !== BROKEN);
  });

  it('an IDMS with one wrong mirror is caught by name', async () => {
    const right = `${site.host}/site/${fixtures[BROKEN].repository}`;
    const wrong = `${site.host}/elsewhere/${fixtures[BROKEN].repository}`;
    const dir = await brokenCopy('broken-idms', 'openshift/imagedigestmirrorset.yaml', `"${right}"`, `"${wrong}"`);
    const { code, report } = await check(dir);
    expect(code).toBe(1);
    const failing = report.rows.filter((row) => row.state !== 'resolves');
    expect(failing.map((row) => [row.format, row.image, row.state])).toEqual([['IDMS', pinned(BROKEN), 'missing']]);
    expect(failing[0]?.detail).toContain(wrong);
  });

  it('a hosts.toml pointing at a missing path fails every image of that source host, naming the URL', async () => {
    const folder = sourceHost.replace(/:(\d+)$/, '_$1_');
    const dir = join(work, 'broken-hosts');
    await cp(join(work, 'config', 'containerd'), join(dir, 'containerd'), { recursive: true });
    const file = join(dir, 'containerd', 'certs.d', folder, 'hosts.toml');
    await writeFile(file, (await readFile(file, 'utf8')).replace('/v2/site"', '/v2/missing"'));
    const { code, report } = await check(dir);
    expect(code).toBe(1);
    expect(report.rows.map((row) => [row.format, row.state])).toEqual(NAMES.map(() => ['hosts.toml', 'missing']));
    expect(report.rows[0]?.detail).toContain(`${site.host}/missing/`);
  });

  it('an image the configuration does not name is reported as matching no rule', async () => {
    const dir = join(work, 'other-source');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'registries.conf'), '[[registry]]\nlocation = "quay.io/other"\n[[registry.mirror]]\nlocation = "mirror.invalid/other"\n');
    const { code, report } = await check(dir);
    expect(code).toBe(1);
    expect(report.rows.map((row) => row.state)).toEqual(['no-rule', 'no-rule', 'no-rule']);
  });
});

describe('with --max-nested-paths', () => {
  it('the flattened mapping still resolves through the configuration the import wrote', async () => {
    const config = join(work, 'nested-config');
    const imported = await runFerry('import', bundle, '--to', `${site.host}/flat`, '--max-nested-paths', '2', '--mirror-config', config, ...flags());
    expect(imported.code, imported.stderr).toBe(0);
    // containerd cannot express repositories moved to different paths: that host is skipped, the other formats hold it.
    expect(imported.stdout).toContain('Mirror configuration checked: 3 image(s) resolve through registries.conf, IDMS, ITMS, ICSP');
    const result = await runFerry('mirror-config', 'check', config, '--registry', `${site.host}/flat`, '--bundle', bundle, '--json', ...flags());
    expect(result.code, result.stdout).toBe(0);
    const report = JSON.parse(result.stdout) as MirrorCheckReport;
    expect(report.rows.every((row) => row.resolvedAt?.startsWith(`${site.host}/flat/`) === true && row.resolvedAt.split('/').length === 3)).toBe(true);
  });
});
