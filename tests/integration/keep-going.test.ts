/**
 * `--keep-going` for export and copy against the real Distribution registry
 * (issue 18): one unknown tag and one image whose layer GET fails past the
 * retries (fault proxy 500s) are skipped, the rest is carried, the job exits
 * 3, and the bundle is honest: ferry.json lists the skipped references with
 * their reasons and carries only the good images, `ferry verify` passes, and
 * skopeo reads the good images from it. Without --keep-going: exit 1. A
 * keep-going set copy writes mirror entries for what landed only; a copy that
 * lands nothing exits 1, and a cancel stays a failure, never a skip.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BundleManifest } from '../../src-shared/model/bundle.ts';
import { FerryError } from '../../src-shared/errors.ts';
import { Catalog } from '../../src-main/catalog/index.ts';
import { ALL_PLATFORMS } from '../../src-main/oci/platform.ts';
import { parseReference } from '../../src-main/oci/reference.ts';
import { Registries } from '../../src-main/oci/registry/registries.ts';
import { copyImages } from '../../src-main/transfer/copy.ts';
import { isImageFault } from '../../src-main/transfer/keep-going.ts';
import { registryAccessFor } from '../../src-main/usecases/access.ts';
import { emptyAuthFile } from '../harness/ferry-access.ts';
import { startFaultProxy, type FaultProxy } from '../harness/fault-proxy.ts';
import { buildFixtures, seedFixtures, type FixtureImage, type FixtureName } from '../harness/fixtures.ts';
import { startRegistry, type RunningRegistry } from '../harness/registry.ts';
import { runSkopeo, skopeoInspectRawDigest } from '../harness/skopeo.ts';
import { skopeoSourceFor } from '../harness/bundle-oracle.ts';
import { Teardown } from '../harness/teardown.ts';
import { runFerry } from '../harness/test-helpers.ts';

let source: RunningRegistry;
let target: RunningRegistry;
let proxy: FaultProxy;
let fixtures: Record<FixtureName, FixtureImage>;
let work: string;
const teardown = new Teardown();
const access = ['--plain-http', '--authfile', emptyAuthFile];

const at = (image: FixtureImage, tag = image.tag): string => `${proxy.host}/${image.repository}:${tag}`;
const good = (): FixtureImage[] => [fixtures['oci-single'], fixtures['docker-schema2']];
const broken = (): FixtureImage => fixtures['big-layers'];
const unknownTag = (): string => at(fixtures['oci-single'], 'no-such-tag');

/** Every GET of the broken image's largest layer answers 500, far past the client's retries. */
function breakLayer(): void {
  const layer = [...broken().blobs].sort((a, b) => b.size - a.size)[0];
  if (!layer) throw new Error('big-layers has no layer');
  proxy.addFault({ method: 'GET', path: new RegExp(`^/v2/${broken().repository}/blobs/${layer.digest}`), times: 100_000, fault: { kind: 'status', status: 500 } });
}

async function ferryJson(dir: string): Promise<BundleManifest> {
  return JSON.parse(await readFile(join(dir, 'ferry.json'), 'utf8')) as BundleManifest;
}

beforeAll(async () => {
  const anonymous = async (): Promise<RunningRegistry> => teardown.add(await startRegistry({ mode: 'anonymous' }), (started) => started.stop());
  [source, target] = await Promise.all([anonymous(), anonymous()]);
  fixtures = await buildFixtures();
  await seedFixtures(source, [...good(), broken()]);
  proxy = teardown.add(await startFaultProxy({ upstream: source.url }), (started) => started.stop());
  work = await mkdtemp(join(tmpdir(), 'ferry-keep-going-'));
});

afterAll(async () => {
  await teardown.run();
  if (work) await rm(work, { recursive: true, force: true });
});

/** The checks every partial bundle must pass: honest ferry.json and index.json, verify passes, skopeo reads the good images. */
async function expectHonestPartialBundle(bundle: string): Promise<void> {
  const manifest = await ferryJson(bundle);
  expect(manifest.images.map((image) => image.digest).sort()).toEqual(
    good()
      .map((image) => image.manifestDigest)
      .sort(),
  );
  expect(manifest.skipped).toEqual([
    { reference: unknownTag(), reason: expect.stringContaining('no-such-tag'), stage: 'plan' },
    { reference: at(broken()), reason: expect.stringContaining('500'), stage: 'copy' },
  ]);
  // No blob only the broken image needed is claimed.
  const claimed = new Set(manifest.blobs.map((blob) => blob.digest));
  for (const blob of broken().blobs) if (!good().some((image) => image.blobs.some((b) => b.digest === blob.digest))) expect(claimed.has(blob.digest)).toBe(false);
  const verify = await runFerry('verify', bundle);
  expect(verify.code, verify.stdout + verify.stderr).toBe(0);
  expect(verify.stdout).toContain('2 references were skipped at export');
  expect(verify.stdout).toContain(at(broken()));
  if (manifest.form === 'directory') {
    const index = JSON.parse(await readFile(join(bundle, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
    expect(index.manifests.map((m) => m.digest).sort()).toEqual(
      good()
        .map((image) => image.manifestDigest)
        .sort(),
    );
    // What the failed pass wrote for the broken image is gone: the layout holds exactly what ferry.json lists.
    expect((await readdir(join(bundle, 'blobs', 'sha256'))).sort()).toEqual([...claimed].map((digest) => digest.slice('sha256:'.length)).sort());
    for (const image of good()) {
      const raw = await runSkopeo(['inspect', '--raw', await skopeoSourceFor(bundle, at(image))]);
      expect(`sha256:${createHash('sha256').update(raw).digest('hex')}`).toBe(image.manifestDigest);
    }
  }
}

describe('ferry export --keep-going', () => {
  it('skips an unknown tag and an image whose layer cannot be downloaded, exits 3, and writes an honest bundle', async () => {
    breakLayer();
    try {
      const bundle = join(work, 'directory');
      const catalogPath = join(work, 'catalog.sqlite');
      const result = await runFerry('export', '--to', bundle, ...good().map((image) => at(image)), unknownTag(), at(broken()), '--keep-going', '--json', '--catalog', catalogPath, ...access);
      expect(result.code, result.stderr).toBe(3);
      const summary = JSON.parse(result.stdout) as { skipped: unknown[]; images: unknown[] };
      expect(summary.skipped).toHaveLength(2);
      expect(summary.images).toHaveLength(2);
      expect(result.stderr).toContain(`skipped ${unknownTag()} (cannot be resolved)`);
      expect(result.stderr).toContain(`skipped ${at(broken())} (failed while copying)`);
      await expectHonestPartialBundle(bundle);
      // The catalog records the partial export as such, with the images it carries only.
      const catalog = Catalog.open(catalogPath);
      try {
        const entry = catalog.latestAudit('export');
        expect(entry?.details).toMatchObject({ images: 2, status: 'partial', skipped: [expect.stringContaining(unknownTag()), expect.stringContaining(at(broken()))] });
      } finally {
        catalog.close();
      }

      const archive = join(work, 'archive');
      const archived = await runFerry('export', '--to', archive, '--archive', ...good().map((image) => at(image)), unknownTag(), at(broken()), '--keep-going', ...access);
      expect(archived.code, archived.stderr).toBe(3);
      await expectHonestPartialBundle(archive);
    } finally {
      proxy.clearFaults();
    }
  });

  it('fails verification when ferry.json claims an image whose content the bundle does not hold', async () => {
    const bundle = join(work, 'directory');
    const manifest = await ferryJson(bundle);
    const claimed = { name: at(broken()), source: at(broken()), tag: broken().tag, digest: broken().manifestDigest, mediaType: broken().mediaType, platforms: [], size: broken().totalSize };
    await writeFile(join(bundle, 'ferry.json'), `${JSON.stringify({ ...manifest, images: [...manifest.images, claimed], skipped: manifest.skipped?.slice(0, 1) }, null, 2)}\n`);
    const verify = await runFerry('verify', bundle);
    expect(verify.code).toBe(1);
    expect(verify.stdout).toContain(broken().manifestDigest);
  });

  it('run again into the folder of a partial bundle, retries what was skipped and reuses what was written', async () => {
    for (const form of ['directory', 'archive']) {
      const bundle = join(work, form);
      const before = await ferryJson(bundle);
      const again = await runFerry('export', '--to', bundle, ...(form === 'archive' ? ['--archive'] : []), ...good().map((image) => at(image)), unknownTag(), at(broken()), '--keep-going', ...access);
      expect(again.code, again.stderr).toBe(3);
      const after = await ferryJson(bundle);
      expect(after.bundleId).not.toBe(before.bundleId);
      expect(after.images.map((image) => image.digest).sort()).toEqual([...good(), broken()].map((image) => image.manifestDigest).sort());
      expect(after.skipped).toEqual([{ reference: unknownTag(), reason: expect.stringContaining('no-such-tag'), stage: 'plan' }]);
      const verify = await runFerry('verify', bundle);
      expect(verify.code, verify.stdout).toBe(0);
      expect(verify.stdout).toContain('1 reference was skipped at export');
    }
  });

  it('lists the unresolvable references in the dry run, and fails as before without --keep-going', async () => {
    const plan = await runFerry('export', '--to', join(work, 'plan'), '--dry-run', at(good()[0] as FixtureImage), unknownTag(), '--keep-going', ...access);
    expect(plan.code, plan.stderr).toBe(3);
    expect(plan.stdout).toContain('would skip 1 reference(s)');
    expect(plan.stdout).toContain(unknownTag());
    const strict = await runFerry('export', '--to', join(work, 'strict'), at(good()[0] as FixtureImage), unknownTag(), ...access);
    expect(strict.code).toBe(1);
    expect(strict.stderr).toContain('no-such-tag');
    breakLayer();
    try {
      const failing = await runFerry('export', '--to', join(work, 'strict-copy'), at(good()[0] as FixtureImage), at(broken()), ...access);
      expect(failing.code).toBe(1);
      await expect(readFile(join(work, 'strict-copy', 'ferry.json'))).rejects.toThrow();
    } finally {
      proxy.clearFaults();
    }
  });
});

describe('ferry copy --keep-going', () => {
  it('copies the good images, leaves the bad ones out, and exits 3 naming them', async () => {
    const list = join(work, 'images.txt');
    await writeFile(list, [...good().map((image) => at(image)), unknownTag(), at(broken())].join('\n'));
    breakLayer();
    try {
      const result = await runFerry('copy', '--images', list, '--to', `${target.host}/mirror`, '--keep-going', '--json', ...access);
      expect(result.code, result.stderr).toBe(3);
      const summary = JSON.parse(result.stdout) as { skipped: Array<{ reference: string; stage: string }> };
      expect(summary.skipped.map((s) => [s.reference, s.stage])).toEqual([
        [unknownTag(), 'plan'],
        [at(broken()), 'copy'],
      ]);
      expect(result.stderr).toContain(`skipped ${at(broken())} (failed while copying)`);
    } finally {
      proxy.clearFaults();
    }
    for (const image of good()) expect(await skopeoInspectRawDigest(`docker://${target.host}/mirror/${image.repository}@${image.manifestDigest}`, target)).toBe(image.manifestDigest);
    const absent = await fetch(`${target.url}/v2/mirror/${broken().repository}/manifests/${broken().manifestDigest}`, { method: 'HEAD' });
    expect(absent.status).toBe(404);
    const strict = await runFerry('copy', '--images', list, '--to', `${target.host}/strict`, ...access);
    expect(strict.code).toBe(1);
  });

  it('writes the mirror configuration of a set copy for what landed only: no entry for a repository none of whose images landed', async () => {
    const setFile = join(work, 'keep-going-set.yaml');
    // The unknown tag shares oci-single's repository, which the good image fills: its entry stays.
    await writeFile(setFile, ['images:', ...[...good().map((image) => at(image)), unknownTag(), at(broken())].map((reference) => `  - ${reference}`), ''].join('\n'));
    const config = join(work, 'keep-going-config');
    breakLayer();
    try {
      const result = await runFerry('copy', '--set', setFile, '--to', `${target.host}/set`, '--keep-going', '--mirror-config', config, '--json', ...access);
      expect(result.code, result.stderr).toBe(3);
      const summary = JSON.parse(result.stdout) as { skipped: Array<{ reference: string; stage: string }>; failed: unknown[]; mirrorConfig: string[] };
      expect(summary.failed).toEqual([]);
      expect(summary.skipped.map((s) => [s.reference, s.stage])).toEqual([
        [unknownTag(), 'plan'],
        [at(broken()), 'copy'],
      ]);
      expect(summary.mirrorConfig).toContain('registries.conf.d/99-ferry-mirror.conf');
    } finally {
      proxy.clearFaults();
    }
    const registriesConf = await readFile(join(config, 'registries.conf.d', '99-ferry-mirror.conf'), 'utf8');
    const idms = await readFile(join(config, 'openshift', 'imagedigestmirrorset.yaml'), 'utf8');
    expect(good().some((image) => image.repository === broken().repository)).toBe(false);
    for (const image of good()) {
      expect(registriesConf).toContain(`prefix = "${proxy.host}/${image.repository}"`);
      expect(registriesConf).toContain(`"${target.host}/set/${image.repository}"`);
      expect(idms).toContain(`${target.host}/set/${image.repository}`);
    }
    expect(registriesConf).not.toContain(broken().repository);
    expect(idms).not.toContain(broken().repository);
  });

  it('exits 1 when nothing was carried, and keeps a cancel a failure, not a skip', async () => {
    const list = join(work, 'broken-only.txt');
    await writeFile(list, `${at(broken())}\n`);
    breakLayer();
    try {
      const result = await runFerry('copy', '--images', list, '--to', `${target.host}/none`, '--keep-going', '--json', ...access);
      expect(result.code, result.stderr).toBe(1);
      expect((JSON.parse(result.stdout) as { skipped: Array<{ reference: string; stage: string }> }).skipped).toEqual([
        { reference: at(broken()), reason: expect.stringContaining('500'), stage: 'copy' },
      ]);
      expect(result.stderr).toContain('nothing was copied');
    } finally {
      proxy.clearFaults();
    }

    // Cancelled once the plan is made: every image fails the job, none is reported as skipped.
    const settings = { plainHttp: true, authFile: emptyAuthFile };
    const from = new Registries(registryAccessFor(settings, [proxy.host], 'source'));
    const to = new Registries(registryAccessFor(settings, [target.host], 'destination'));
    const cancel = new AbortController();
    try {
      const requests = good().map((image) => ({ source: parseReference(at(image)), destination: parseReference(`${target.host}/cancelled/${image.repository}:${image.tag}`) }));
      const summary = await copyImages(requests, from, to, {
        platforms: ALL_PLATFORMS,
        keepGoing: true,
        signal: cancel.signal,
        onEvent: (event) => {
          if (event.type === 'planned') cancel.abort();
        },
      });
      expect(summary.images).toEqual([]);
      expect(summary.skipped).toEqual([]);
      expect(summary.failed.map((failure) => failure.source).sort()).toEqual(
        good()
          .map((image) => at(image))
          .sort(),
      );
      for (const failure of summary.failed) expect(isImageFault(new FerryError(failure.error.code, failure.error.message))).toBe(false);
    } finally {
      await Promise.all([from.close(), to.close()]);
    }
  });
});
