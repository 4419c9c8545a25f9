/**
 * KET's local package repository, end to end with Debian's own tools: a
 * Debian repository built in the test (dpkg-deb, dpkg-scanpackages, a Release
 * file) travels in a KET-style set beside an image list and a `files:` entry;
 * export → import into a real registry → `ferry extract` → `ferry serve
 * --files` on loopback → `apt-get update && apt-get download` with a private
 * apt configuration (never the machine's own). The `files:` artifact is pulled
 * back from the registry by digest and its bytes compared.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getManifest } from '../../src-main/oci/registry/manifests.ts';
import { readBlobToBuffer } from '../../src-main/oci/registry/blobs.ts';
import { emptyAuthFile, registriesFor } from '../harness/ferry-access.ts';
import { buildFixtures, seedFixtures, type FixtureImage, type FixtureName } from '../harness/fixtures.ts';
import { startRegistry, type RunningRegistry } from '../harness/registry.ts';
import { Teardown } from '../harness/teardown.ts';
import { runFerry } from '../harness/test-helpers.ts';

const run = promisify(execFile);
const BIN = join(process.cwd(), 'src-main', 'cli', 'bin.mjs');
const PACKAGE = 'ferry-hello';
const flags = ['--plain-http', '--authfile', emptyAuthFile];

let source: RunningRegistry;
let target: RunningRegistry;
let fixtures: Record<FixtureName, FixtureImage>;
let work: string;
let server: ChildProcess | undefined;
const teardown = new Teardown();

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** A flat Debian repository in `dir`: one tiny package, Packages, Packages.gz and a Release file listing their hashes. */
async function buildDebianRepository(dir: string): Promise<string> {
  const root = join(work, 'pkg-root');
  await mkdir(join(root, 'DEBIAN'), { recursive: true });
  await mkdir(join(root, 'usr', 'share', 'doc', PACKAGE), { recursive: true });
  await writeFile(
    join(root, 'DEBIAN', 'control'),
    [`Package: ${PACKAGE}`, 'Version: 1.0.0', 'Architecture: all', 'Maintainer: Ferry Tests <tests@ferry.invalid>', 'Description: a tiny package Ferry carries', ''].join('\n'),
  );
  await writeFile(join(root, 'usr', 'share', 'doc', PACKAGE, 'hello.txt'), 'carried across the air gap\n');
  await mkdir(dir, { recursive: true });
  const deb = join(dir, `${PACKAGE}_1.0.0_all.deb`);
  await run('dpkg-deb', ['--root-owner-group', '--build', root, deb]);
  const { stdout } = await run('dpkg-scanpackages', ['--multiversion', '.', '/dev/null'], { cwd: dir });
  await writeFile(join(dir, 'Packages'), stdout);
  await run('gzip', ['-9kn', join(dir, 'Packages')]);
  const lines = await Promise.all(
    ['Packages', 'Packages.gz'].map(async (name) => {
      const bytes = await readFile(join(dir, name));
      return ` ${sha256(bytes)} ${bytes.length} ${name}`;
    }),
  );
  await writeFile(join(dir, 'Release'), ['Origin: Ferry tests', 'Label: Ferry tests', 'Architectures: all', `Date: ${new Date().toUTCString()}`, 'SHA256:', ...lines, ''].join('\n'));
  return deb;
}

/** Runs apt-get with a private configuration: its own sources, state, cache, parts and dpkg status; the machine's /etc/apt is never read. */
async function aptGet(base: string, url: string, args: string[], cwd: string): Promise<{ stdout: string; stderr: string }> {
  const dirs = { state: join(base, 'state'), cache: join(base, 'cache'), parts: join(base, 'apt.conf.d'), trusted: join(base, 'trusted.gpg.d'), prefs: join(base, 'preferences.d') };
  for (const dir of [join(dirs.state, 'lists', 'partial'), join(dirs.cache, 'archives', 'partial'), dirs.parts, dirs.trusted, dirs.prefs]) await mkdir(dir, { recursive: true });
  const sources = join(base, 'sources.list');
  const status = join(base, 'dpkg-status');
  await writeFile(sources, `deb [trusted=yes] ${url} ./\n`);
  await writeFile(status, '');
  const options: Record<string, string> = {
    'Dir::Etc::sourcelist': sources,
    'Dir::Etc::sourceparts': '-',
    'Dir::Etc::parts': dirs.parts,
    'Dir::Etc::main': '/dev/null',
    'Dir::Etc::preferences': '/dev/null',
    'Dir::Etc::preferencesparts': dirs.prefs,
    'Dir::Etc::trustedparts': dirs.trusted,
    'Dir::State': dirs.state,
    'Dir::State::status': status,
    'Dir::Cache': dirs.cache,
    'Debug::NoLocking': '1',
    'APT::Sandbox::User': 'root',
    'Acquire::Retries': '0',
  };
  // APT_CONFIG is read before anything else, so /etc/apt/apt.conf.d is never read either.
  const config = join(base, 'apt.conf');
  await writeFile(
    config,
    Object.entries(options)
      .map(([key, value]) => `${key} "${value}";\n`)
      .join(''),
  );
  const env = { ...process.env, APT_CONFIG: config, LC_ALL: 'C' };
  const flagsFor = Object.entries(options).flatMap(([key, value]) => ['-o', `${key}=${value}`]);
  return run('apt-get', [...flagsFor, ...args], { cwd, env, timeout: 60_000 });
}

beforeAll(async () => {
  source = teardown.add(await startRegistry({ mode: 'anonymous' }), (started) => started.stop());
  target = teardown.add(await startRegistry({ mode: 'anonymous' }), (started) => started.stop());
  fixtures = await buildFixtures();
  await seedFixtures(source, [fixtures['oci-single'], fixtures['docker-schema2']]);
  work = await mkdtemp(join(tmpdir(), 'ferry-apt-'));
});

afterAll(async () => {
  if (server && server.exitCode === null) server.kill('SIGTERM');
  await teardown.run();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('a KET package repository', () => {
  it('is exported, imported, extracted, served, and apt-get downloads its package', async () => {
    const deb = await buildDebianRepository(join(work, 'set', 'debs'));
    await writeFile(join(work, 'set', 'ket-1.6.txt'), `${source.host}/${fixtures['docker-schema2'].repository}:${fixtures['docker-schema2'].tag}\n`);
    await writeFile(join(work, 'set', 'plan.yaml'), 'cluster:\n  name: ket\n');
    const set = join(work, 'set', 'ket.yaml');
    await writeFile(
      set,
      [
        'images:',
        `  - ${source.host}/${fixtures['oci-single'].repository}:${fixtures['oci-single'].tag}`,
        'imageLists:',
        '  - ket-1.6.txt',
        'packageRepositories:',
        '  - path: debs',
        '    target: ket/packages:v1.6',
        'files:',
        '  - path: plan.yaml',
        '    target: ket/plan:v1.6',
        '',
      ].join('\n'),
    );
    const bundle = join(work, 'bundle');
    const exported = await runFerry('export', '--to', bundle, '--set', set, ...flags);
    expect(exported.code, exported.stderr).toBe(0);
    const verified = await runFerry('verify', bundle);
    expect(verified.stdout).toMatch(/\n {2}package repository +ket\/packages:v1\.6 +[\d.]+ \w*B +\(1 file: debs\)\n/);
    const imported = await runFerry('import', bundle, '--to', `${target.host}/site`, ...flags);
    expect(imported.code, imported.stderr).toBe(0);

    // The files: artifact, pulled back from the registry by digest: the file's very bytes.
    const ferry = JSON.parse(await readFile(join(bundle, 'ferry.json'), 'utf8')) as { images: Array<{ name: string; digest: string; artifactType?: string }> };
    const planDigest = ferry.images.find((i) => i.name === 'ket/plan:v1.6')?.digest ?? '';
    expect(ferry.images.find((i) => i.name === 'ket/packages:v1.6')?.artifactType).toBe('application/vnd.ferry.package-repository.v1');
    const registries = registriesFor(target);
    try {
      const client = await registries.client(target.host);
      const pulled = await getManifest(client, 'site/ket/plan', planDigest);
      if (pulled.kind !== 'image') throw new Error('not an image manifest');
      const [layer] = pulled.manifest.layers;
      if (!layer) throw new Error('no layer');
      expect(await readBlobToBuffer(client, 'site/ket/plan', layer)).toEqual(await readFile(join(work, 'set', 'plan.yaml')));
      const repository = await getManifest(client, 'site/ket/packages', 'v1.6');
      if (repository.kind !== 'image') throw new Error('not an image manifest');
      expect(repository.manifest.layers.map((l) => [l.mediaType, l.annotations?.['org.opencontainers.image.title']])).toEqual([['application/vnd.oci.image.layer.v1.tar', 'debs']]);
    } finally {
      await registries.close();
    }

    const out = join(work, 'extracted');
    const extracted = await runFerry('extract', bundle, 'ket/packages:v1.6', '--to', out);
    expect(extracted.code, extracted.stderr).toBe(0);
    expect((await readdir(join(out, 'debs'))).sort()).toEqual(['Packages', 'Packages.gz', 'Release', `${PACKAGE}_1.0.0_all.deb`]);
    // A plain image is refused clearly, and nothing existing is overwritten.
    expect((await runFerry('extract', bundle, `${source.host}/${fixtures['oci-single'].repository}:${fixtures['oci-single'].tag}`, '--to', out)).stderr).toContain(
      'is a container image, not an artifact',
    );
    expect((await runFerry('extract', bundle, 'ket/packages:v1.6', '--to', out)).stderr).toContain(`${out} already holds debs`);

    const served = spawn(process.execPath, [BIN, 'serve', '--files', join(out, 'debs'), '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    server = served;
    let stdout = '';
    let stderr = '';
    served.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    served.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => served.on('exit', (code) => resolve(code)));
    for (let waited = 0; !/http:\/\/\S+/.test(stdout); waited += 50) {
      if (waited > 60_000 || served.exitCode !== null) throw new Error(`ferry serve did not start: ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const url = /http:\/\/\S+/.exec(stdout)?.[0] ?? '';
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);

    const apt = join(work, 'apt');
    const downloads = join(work, 'downloads');
    await mkdir(downloads, { recursive: true });
    const update = await aptGet(apt, url, ['update'], downloads);
    expect(update.stdout).toContain(`${url.replace(/\/$/, '')} ./ Packages`);
    await aptGet(apt, url, ['download', PACKAGE], downloads);
    const fetched = join(downloads, `${PACKAGE}_1.0.0_all.deb`);
    expect((await stat(fetched)).size).toBeGreaterThan(0);
    expect(sha256(await readFile(fetched))).toBe(sha256(await readFile(deb)));
    expect(stderr).toMatch(new RegExp(`GET /(\\./)?${PACKAGE}_1\\.0\\.0_all\\.deb 200`));

    served.kill('SIGINT');
    expect(await exited).toBe(0);
  }, 240_000);
});
