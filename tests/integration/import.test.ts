import { spawn } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyAuthFile } from '../harness/ferry-access.ts';
import { startFaultProxy, type FaultProxy } from '../harness/fault-proxy.ts';
import { buildFixtures, seedFixtures, type FixtureImage, type FixtureName } from '../harness/fixtures.ts';
import { startRegistry, type RunningRegistry } from '../harness/registry.ts';
import { Teardown } from '../harness/teardown.ts';
import { runSkopeo, skopeoFlags, skopeoInspectRawDigest } from '../harness/skopeo.ts';
import { runFerry } from '../harness/test-helpers.ts';

const NAMES: FixtureName[] = ['oci-single', 'docker-schema2', 'oci-index', 'docker-list', 'artifact-referrer', 'empty-layer', 'big-layers'];
let source: RunningRegistry;
let fixtures: Record<FixtureName, FixtureImage>;
let work: string;
let directoryBundle: string;
let archiveBundle: string;

const refOf = (name: FixtureName) => `${source.host}/${fixtures[name].repository}:${fixtures[name].tag}`;
/** Registry flags for ferry aimed at a harness registry: plain HTTP, or its CA, and its first user's credentials. */
function targetFlags(registry: RunningRegistry | FaultProxy, creds?: { username?: string; password?: string; caFile?: string }): string[] {
  const flags = ['--authfile', emptyAuthFile];
  if (registry.url.startsWith('http:')) flags.push('--plain-http');
  if (creds?.caFile) flags.push('--ca-cert', creds.caFile);
  if (creds?.username && creds.password) flags.push('--creds', `${creds.username}:${creds.password}`);
  return flags;
}

const teardown = new Teardown();

beforeAll(async () => {
  source = teardown.add(await startRegistry({ mode: 'anonymous' }), (started) => started.stop());
  fixtures = await buildFixtures();
  await seedFixtures(source, Object.values(fixtures));
  work = await mkdtemp(join(tmpdir(), 'ferry-import-test-'));
  const list = join(work, 'all.txt');
  await writeFile(list, NAMES.map(refOf).join('\n'));
  directoryBundle = join(work, 'directory-bundle');
  archiveBundle = join(work, 'archive-bundle');
  for (const [dir, extra] of [
    [directoryBundle, []],
    [archiveBundle, ['--archive', '--part-size', '1MiB']],
  ] as const) {
    const result = await runFerry('export', '--to', dir, '--images', list, '--plain-http', '--authfile', emptyAuthFile, ...extra);
    if (result.code !== 0) throw new Error(`export failed: ${result.stderr}`);
  }
});

afterAll(async () => {
  await teardown.run();
  if (work) await rm(work, { recursive: true, force: true });
});

async function expectAllImported(registry: RunningRegistry, prefix: string, creds?: { username: string; password: string }): Promise<void> {
  for (const name of NAMES) {
    const fixture = fixtures[name];
    const ref = `docker://${registry.host}/${prefix}/${fixture.repository}:${fixture.tag}`;
    expect(await skopeoInspectRawDigest(ref, registry, creds), name).toBe(fixture.manifestDigest);
  }
}

describe('export → verify → import round trip, digests checked with skopeo', () => {
  for (const mode of ['anonymous', 'tls-basic', 'token'] as const) {
    it(`into a ${mode} registry, from both forms`, async () => {
      const target = await startRegistry({ mode });
      try {
        const creds = target.username && target.password ? { username: target.username, password: target.password } : undefined;
        const pullSecret = join(work, `pull-secret-${mode}.json`);
        await writeFile(pullSecret, JSON.stringify({ auths: { 'quay.io': { auth: 'b3RoZXI6ZW50cnk=' } } }));
        for (const [bundle, prefix] of [
          [directoryBundle, 'dir'],
          [archiveBundle, 'tar'],
        ] as const) {
          const secretFlags = creds ? ['--pull-secret', pullSecret] : [];
          const result = await runFerry(
            'import',
            bundle,
            '--to',
            `${target.host}/${prefix}`,
            ...targetFlags(target, { ...creds, ...(target.caFile ? { caFile: target.caFile } : {}) }),
            '--json',
            '--receipt',
            join(work, `receipt-${mode}-${prefix}.json`),
            ...secretFlags,
          );
          expect(result.stderr).not.toMatch(/error/i);
          expect(result.code, result.stderr).toBe(0);
          await expectAllImported(target, prefix, creds);
          if (creds) expect(result.stdout).not.toContain(creds.password);
        }
        if (creds) {
          const secret = JSON.parse(await readFile(pullSecret, 'utf8')) as { auths: Record<string, { auth: string }> };
          expect(secret.auths['quay.io']?.auth).toBe('b3RoZXI6ZW50cnk=');
          expect(Buffer.from(secret.auths[target.host]?.auth ?? '', 'base64').toString()).toBe(`${creds.username}:${creds.password}`);
        }
      } finally {
        await target.stop();
      }
      // Two imports (both forms) with skopeo checks of every image: over a minute when the machine is busy.
    }, 180_000);
  }
});

describe('import behaviour', () => {
  let target: RunningRegistry;
  let proxy: FaultProxy;
  const ownTeardown = new Teardown();
  beforeAll(async () => {
    target = ownTeardown.add(await startRegistry({ mode: 'anonymous' }), (started) => started.stop());
    proxy = ownTeardown.add(await startFaultProxy({ upstream: target.url }), (started) => started.stop());
  });
  afterAll(() => ownTeardown.run());

  it('a tampered bundle is refused before any request that writes reaches the registry', async () => {
    const bad = join(work, 'tampered');
    await cp(directoryBundle, bad, { recursive: true });
    const layer = fixtures['big-layers'].blobs.at(-1);
    if (!layer) throw new Error('no layer');
    const path = join(bad, 'blobs', 'sha256', layer.digest.slice(7));
    const bytes = await readFile(path);
    bytes[1000] = (bytes[1000] ?? 0) ^ 0x10;
    await writeFile(path, bytes);
    const before = proxy.requests.length;
    const result = await runFerry('import', bad, '--to', proxy.host, ...targetFlags(proxy));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('failed verification');
    expect(result.stderr).toContain(layer.digest);
    expect(proxy.requests.slice(before)).toEqual([]);
  });

  it('every bundle of the bad-bundle corpus is refused with zero requests to the registry', async () => {
    const { buildBadBundles } = await import('../harness/bad-bundles.ts');
    const corpus = await buildBadBundles({ directory: directoryBundle, archive: archiveBundle }, join(work, 'corpus'));
    expect(corpus.length).toBeGreaterThanOrEqual(10);
    for (const bad of corpus) {
      const before = proxy.requests.length;
      const result = await runFerry('import', bad.dir, '--to', `${proxy.host}/corpus`, ...targetFlags(proxy));
      expect(result.code, bad.name).toBe(1);
      expect(result.stderr, bad.name).toContain('failed verification');
      expect(proxy.requests.slice(before), bad.name).toEqual([]);
    }
  });

  it('--dry-run writes nothing and shows where each image lands; --keep-registry-host keeps the source host', async () => {
    const before = proxy.requests.length;
    const result = await runFerry('import', directoryBundle, '--to', `${proxy.host}/site`, ...targetFlags(proxy), '--dry-run', '--keep-registry-host');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`${refOf('oci-single')} -> ${proxy.host}/site/${source.host.replace(':', '_')}/fixtures/oci-single:v1`);
    expect(proxy.requests.slice(before).filter((r) => !['GET', 'HEAD'].includes(r.method))).toEqual([]);
  });

  it('survives 429, 500 and a reset in the middle of an upload', async () => {
    proxy.addFault({ method: 'HEAD', path: /\/blobs\//, times: 2, fault: { kind: 'status', status: 429, retryAfter: '1' } });
    proxy.addFault({ method: 'POST', path: /\/blobs\/uploads\//, times: 2, fault: { kind: 'status', status: 500 } });
    proxy.addFault({ method: 'PUT', path: /\/blobs\/uploads\//, times: 1, fault: { kind: 'reset-mid-body', afterBytes: 0 } });
    const result = await runFerry('import', archiveBundle, '--to', `${proxy.host}/faulty`, ...targetFlags(proxy));
    expect(result.code, result.stderr).toBe(0);
    expect(proxy.pendingFaults()).toBe(0);
    await expectAllImported(target, 'faulty');
  });

  it('a rerun after a kill completes, and nothing already there is pushed twice', async () => {
    const bin = join(process.cwd(), 'src-main', 'cli', 'bin.mjs');
    // Manifests go up after every blob: holding the first one back makes sure the kill lands before the import ends.
    proxy.addFault({ method: 'PUT', path: /\/v2\/killed\/.*\/manifests\//, times: 1, fault: { kind: 'status', status: 429, retryAfter: '3' } });
    await new Promise<void>((resolve) => {
      // The registry check's probe blobs are no bundle content: left out, so every PUT counted here is the bundle's (import-preflight.test.ts covers the check).
      const child = spawn(process.execPath, [bin, 'import', directoryBundle, '--to', `${proxy.host}/killed`, '--skip-registry-check', ...targetFlags(proxy)], { stdio: 'ignore' });
      // Kill once three blob uploads have finished, half a second later, so the journal has surely recorded them even on a
      // loaded machine (30 ms was not always enough in CI); the held-back manifest (3 s) keeps the import from ending first.
      let killScheduled = false;
      const timer = setInterval(() => {
        if (killScheduled || proxy.requests.filter((r) => r.method === 'PUT' && r.path.startsWith('/v2/killed/') && r.status === 201).length < 3) return;
        killScheduled = true;
        setTimeout(() => child.kill('SIGKILL'), 500);
      }, 5);
      child.on('close', () => {
        clearInterval(timer);
        resolve();
      });
    });
    const uploadsBefore = proxy.requests.filter((r) => r.method === 'PUT' && r.path.startsWith('/v2/killed/') && r.status === 201).map((r) => r.path.replace(/\?.*$/, '')).length;
    expect(uploadsBefore).toBeGreaterThan(0);
    proxy.clearFaults();
    const seen = proxy.requests.length;
    const { Catalog } = await import('../../src-main/catalog/index.ts');
    const catalog = Catalog.open(process.env.FERRY_CATALOG);
    const job = catalog.jobs().find((j) => j.kind === 'import' && j.status === 'running');
    const recorded = job ? catalog.doneItems(job.id) : new Set<string>();
    catalog.close();
    const result = await runFerry('import', directoryBundle, '--to', `${proxy.host}/killed`, '--skip-registry-check', ...targetFlags(proxy), '--json');
    expect(result.code, result.stderr).toBe(0);
    await expectAllImported(target, 'killed');
    // Blob uploads carry ?digest=: none of the rerun's digests may repeat one the killed run completed.
    const digestOf = (path: string) => new URL(path, 'http://x').searchParams.get('digest');
    const done = new Set(
      proxy.requests
        .slice(0, seen)
        .filter((r) => r.method === 'PUT' && r.status === 201 && r.path.startsWith('/v2/killed/') && r.path.includes('digest='))
        .map((r) => digestOf(r.path)),
    );
    const again = proxy.requests
      .slice(seen)
      .filter((r) => r.method === 'PUT' && r.path.includes('digest='))
      .map((r) => digestOf(r.path));
    expect(again.filter((d) => done.has(d))).toEqual([]);
    // The catalog's job journal remembers what the killed run finished: the rerun does not even ask (HEAD) about those.
    const asked = new Set(
      proxy.requests
        .slice(seen)
        .filter((r) => r.method === 'HEAD')
        .map((r) => r.path),
    );
    const journaled = [...recorded].map((item) => `/v2/${item.slice(item.indexOf('/') + 1).replace('@', '/blobs/')}`);
    expect(journaled.length).toBeGreaterThan(0);
    expect(journaled.filter((path) => asked.has(path))).toEqual([]);
    const third = proxy.requests.length;
    expect((await runFerry('import', directoryBundle, '--to', `${proxy.host}/killed`, ...targetFlags(proxy))).code).toBe(0);
    expect(proxy.requests.slice(third).filter((r) => r.method === 'PUT' || r.method === 'POST' || r.method === 'PATCH')).toEqual([]);
  });

  it('an archive import where the registry refuses mounts still lands every image (a further pass uploads)', async () => {
    const { makeImageSet, seedImageSet } = await import('../harness/fixtures.ts');
    const set = await makeImageSet(3, 64 * 1024, { repositoryPrefix: 'shared' });
    await seedImageSet(source, set);
    const bundle = join(work, 'shared-archive');
    const exported = await runFerry('export', '--to', bundle, '--archive', ...set.images.map((i) => `${source.host}/${i.repository}:${i.tag}`), '--plain-http', '--authfile', emptyAuthFile);
    expect(exported.code, exported.stderr).toBe(0);
    proxy.addFault({ method: 'POST', path: /[?&]mount=/, times: 100, fault: { kind: 'ignore-mount' } });
    const result = await runFerry('import', bundle, '--to', `${proxy.host}/nomount`, ...targetFlags(proxy), '--json', '--receipt', join(work, 'nomount-receipt.json'));
    proxy.clearFaults();
    expect(result.code, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout) as { blobs: { copied: number; mounted: number } };
    expect(summary.blobs.mounted).toBe(0);
    for (const image of set.images) expect(await skopeoInspectRawDigest(`docker://${target.host}/nomount/${image.repository}:${image.tag}`, target)).toBe(image.manifestDigest);
  });

  it('imports a plain OCI layout written by skopeo, and writes the mirror configuration and a receipt', async () => {
    const layout = join(work, 'skopeo-layout');
    const flags = skopeoFlags(source, 'src-');
    await runSkopeo(['copy', '--quiet', ...flags.args, `docker://${refOf('oci-single')}`, `oci:${layout}:app-v1`], flags.secrets);
    const config = join(work, 'mirror-config');
    const receipt = join(work, 'layout-receipt.json');
    const result = await runFerry('import', layout, '--to', `${proxy.host}/plain`, ...targetFlags(proxy), '--mirror-config', config, '--receipt', receipt, '--site', 'plant-7');
    expect(result.code, result.stderr).toBe(0);
    expect(await skopeoInspectRawDigest(`docker://${target.host}/plain/skopeo-layout:app-v1`, target)).toBe(fixtures['oci-single'].manifestDigest);
    const written = JSON.parse(await readFile(receipt, 'utf8')) as { site: string; registry: string; digests: string[] };
    expect(written.site).toBe('plant-7');
    expect(written.registry).toBe(`${proxy.host}/plain`);
    expect(written.digests).toContain(fixtures['oci-single'].manifestDigest);
    const conf = await readFile(join(config, 'registries.conf.d', '99-ferry-mirror.conf'), 'utf8');
    expect(conf).toContain(`${proxy.host}/plain/skopeo-layout`);
  });
});
