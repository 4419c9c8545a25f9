import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBack } from '../../src-main/bundle/read-back.ts';
import { verifyBundle, type VerifyReport } from '../../src-main/bundle/verify.ts';
import type { BundleManifest } from '../../src-shared/model/bundle.ts';
import { buildBadBundles, type BadBundle } from '../harness/bad-bundles.ts';
import { emptyAuthFile } from '../harness/ferry-access.ts';
import { buildFixtures, seedFixtures, type FixtureImage, type FixtureName } from '../harness/fixtures.ts';
import { startRegistry, type RunningRegistry } from '../harness/registry.ts';
import { Teardown } from '../harness/teardown.ts';
import { runSkopeo, skopeoFlags } from '../harness/skopeo.ts';
import { failure, runFerry } from '../harness/test-helpers.ts';

let source: RunningRegistry;
let fixtures: Record<FixtureName, FixtureImage>;
let work: string;
let good: { directory: string; archive: string };
let corpus: BadBundle[];
const NAMES: FixtureName[] = ['oci-single', 'docker-schema2', 'oci-index', 'docker-list', 'artifact-referrer', 'empty-layer', 'big-layers'];
const refOf = (name: FixtureName) => `${source.host}/${fixtures[name].repository}:${fixtures[name].tag}`;
const exportTo = (dir: string, ...rest: string[]) => runFerry('export', '--to', dir, '--plain-http', '--authfile', emptyAuthFile, ...NAMES.map(refOf), ...rest);

const teardown = new Teardown();

beforeAll(async () => {
  source = teardown.add(await startRegistry({ mode: 'anonymous' }), (started) => started.stop());
  fixtures = await buildFixtures();
  await seedFixtures(source, Object.values(fixtures));
  work = await mkdtemp(join(tmpdir(), 'ferry-verify-test-'));
  good = { directory: join(work, 'good-directory'), archive: join(work, 'good-archive') };
  expect((await exportTo(good.directory)).code).toBe(0);
  expect((await exportTo(good.archive, '--archive', '--part-size', String(1024 * 1024 + 17))).code).toBe(0);
  corpus = await buildBadBundles(good, join(work, 'corpus'));
});

afterAll(async () => {
  await teardown.run();
  if (work) await rm(work, { recursive: true, force: true });
});

const failedChecks = (report: VerifyReport): string[] => report.checks.filter((c) => !c.ok).map((c) => c.id);

describe('verify passes good bundles', () => {
  it('directory form: every check runs and passes', async () => {
    let bytes = 0;
    const report = await verifyBundle(good.directory, {
      onBytes: (n) => {
        bytes += n;
      },
    });
    const manifest = JSON.parse(await readFile(join(good.directory, 'ferry.json'), 'utf8')) as BundleManifest;
    expect(failedChecks(report)).toEqual([]);
    expect(report).toMatchObject({ ok: true, form: 'directory', bundleId: manifest.bundleId, images: NAMES.length, blobs: manifest.blobs.length });
    expect(report.checks.map((c) => c.id)).toEqual(['schema', 'blobs', 'graph', 'files']);
    expect(report.bytes).toBe(manifest.blobs.reduce((sum, b) => sum + b.size, 0));
    expect(bytes).toBe(report.bytes);
  });

  it('archive form: one pass over the parts, every check passes', async () => {
    const manifest = JSON.parse(await readFile(join(good.archive, 'ferry.json'), 'utf8')) as BundleManifest;
    let bytes = 0;
    const report = await verifyBundle(good.archive, {
      onBytes: (n) => {
        bytes += n;
      },
    });
    expect(failedChecks(report)).toEqual([]);
    expect(report).toMatchObject({ ok: true, form: 'archive', images: NAMES.length, blobs: manifest.blobs.length });
    expect(report.checks.map((c) => c.id)).toEqual(['schema', 'parts', 'blobs', 'graph', 'tar-safety', 'files']);
    expect(bytes).toBe(manifest.parts.reduce((sum, p) => sum + p.size, 0));
    expect((await readBack(good.archive)).blobs).toBe(manifest.blobs.length);
  });

  it('a plain OCI layout written by skopeo (no ferry.json) verifies as form oci-layout', async () => {
    const layout = join(work, 'skopeo-layout');
    const { args } = skopeoFlags(source, 'src-');
    for (const name of ['oci-index', 'oci-single'] as const) {
      await runSkopeo(['copy', '--quiet', '--all', '--preserve-digests', ...args, `docker://${refOf(name)}`, `oci:${layout}:${name}`]);
    }
    const report = await verifyBundle(layout);
    expect(failedChecks(report)).toEqual([]);
    expect(report).toMatchObject({ ok: true, form: 'oci-layout', images: 2 });
    expect(report.blobs).toBeGreaterThan(4);
    await expect(readBack(layout)).rejects.toThrow(/not a finished bundle/);
    const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
    const root = index.manifests[0]?.digest ?? '';
    await writeFile(join(layout, 'blobs', 'sha256', root.slice('sha256:'.length)), '{"schemaVersion":2}');
    const damaged = await verifyBundle(layout);
    expect(damaged.ok).toBe(false);
    expect(damaged.checks.find((c) => c.id === 'blobs')?.problems.join('\n')).toContain(root);
  });
});

describe('the bad-bundle corpus', () => {
  it('holds every kind of damage the issue names', () => {
    expect(corpus.map((b) => b.name).sort()).toEqual([
      'dotdot-entry',
      'extra-blob',
      'extra-file',
      'ferry-json-bit-flip',
      'index-bit-flip',
      'layer-bit-flip',
      'manifest-bit-flip',
      'missing-part',
      'part-bit-flip',
      'swapped-parts',
      'symlink-entry',
      'truncated-part',
    ]);
  });

  it('every entry fails the expected check, naming the part, blob or file; readBack refuses it too', async () => {
    for (const bad of corpus) {
      const report = await verifyBundle(bad.dir);
      expect(report.ok, bad.name).toBe(false);
      const check = report.checks.find((c) => c.id === bad.expectCheck);
      expect(check?.ok, `${bad.name}: ${JSON.stringify(report.checks)}`).toBe(false);
      expect(check?.problems.join('\n'), bad.name).toContain(bad.mentions);
      await expect(readBack(bad.dir), bad.name).rejects.toThrow();
    }
  });

  it('crafted archives whose hashes all match are refused by tar safety alone', async () => {
    for (const name of ['dotdot-entry', 'symlink-entry']) {
      const bad = corpus.find((b) => b.name === name);
      if (!bad) throw new Error(`no ${name}`);
      const report = await verifyBundle(bad.dir);
      expect(failedChecks(report), name).toEqual(['tar-safety']);
      expect((await failure(readBack(bad.dir))).message).toContain('not allowed');
    }
  });

  it('a damaged part is reported, and the blob inside it is named too', async () => {
    const bad = corpus.find((b) => b.name === 'part-bit-flip');
    if (!bad) throw new Error('no part-bit-flip');
    const report = await verifyBundle(bad.dir);
    expect(failedChecks(report)).toContain('parts');
    expect(report.checks.find((c) => c.id === 'blobs')?.problems.join('\n')).toMatch(/blob sha256:[a-f0-9]{64} \(in part-\d{6}\.tar( to part-\d{6}\.tar)?\): content digest/);
    expect((await failure(readBack(bad.dir))).message).toContain(bad.mentions);
  });

  it('parts hashed on a second thread give the same report as on this one, for the good archive and every corpus entry', async () => {
    for (const dir of [good.archive, ...corpus.map((bad) => bad.dir)]) {
      const one = await verifyBundle(dir, { hashThread: false });
      const two = await verifyBundle(dir, { hashThread: true });
      expect(two.checks, dir).toEqual(one.checks);
      expect(two.ok, dir).toBe(one.ok);
    }
  });

  it('a missing part does not stop the other parts being hashed', async () => {
    const bad = corpus.find((b) => b.name === 'missing-part');
    if (!bad) throw new Error('no missing-part');
    const manifest = JSON.parse(await readFile(join(bad.dir, 'ferry.json'), 'utf8')) as BundleManifest;
    let bytes = 0;
    await verifyBundle(bad.dir, {
      onBytes: (n) => {
        bytes += n;
      },
    });
    const missing = manifest.parts.find((p) => p.name === bad.mentions);
    expect(bytes).toBe(manifest.parts.reduce((sum, p) => sum + p.size, 0) - (missing?.size ?? 0));
  });
});

describe('a ferry.json with a prototype or duplicate key anywhere', () => {
  /** Marks where a key goes in the serialised ferry.json; replaced by the key's text, so duplicates survive serialisation. */
  const MARK = 'FERRY_TEST_KEY';
  const cases: Array<{ name: string; place: (m: Record<string, unknown>) => Record<string, unknown>; key: string; path: string }> = [
    { name: 'constructor at the top', place: (m) => m, key: 'constructor', path: '$.constructor' },
    { name: '__proto__ at the top', place: (m) => m, key: '__proto__', path: '$.__proto__' },
    { name: 'a duplicate bundleId at the top', place: (m) => m, key: 'bundleId', path: '$.bundleId' },
    { name: 'constructor in an image', place: (m) => (m.images as Array<Record<string, unknown>>)[2] ?? {}, key: 'constructor', path: '$.images[2].constructor' },
    { name: '__proto__ in an image', place: (m) => (m.images as Array<Record<string, unknown>>)[1] ?? {}, key: '__proto__', path: '$.images[1].__proto__' },
    { name: 'a duplicate digest in an image', place: (m) => (m.images as Array<Record<string, unknown>>)[0] ?? {}, key: 'digest', path: '$.images[0].digest' },
    { name: 'constructor in a blob', place: (m) => (m.blobs as Array<Record<string, unknown>>)[3] ?? {}, key: 'constructor', path: '$.blobs[3].constructor' },
    { name: '__proto__ in a blob', place: (m) => (m.blobs as Array<Record<string, unknown>>)[4] ?? {}, key: '__proto__', path: '$.blobs[4].__proto__' },
    { name: 'a duplicate size in a blob', place: (m) => (m.blobs as Array<Record<string, unknown>>)[5] ?? {}, key: 'size', path: '$.blobs[5].size' },
    { name: 'prototype in the exporter', place: (m) => m.exporter as Record<string, unknown>, key: 'prototype', path: '$.exporter.prototype' },
  ];

  it.each(cases)('$name is refused by ferry verify, naming $path', async ({ name, place, key, path }) => {
    const dir = join(work, 'poisoned', name.replace(/\W+/g, '-'));
    await cp(good.directory, dir, { recursive: true });
    const original = await readFile(join(dir, 'ferry.json'), 'utf8');
    const manifest = JSON.parse(original) as Record<string, unknown>;
    // A real value under a duplicate key: the same value the first key holds, so only the duplication is wrong.
    const target = place(manifest);
    target[MARK] = Object.hasOwn(target, key) ? target[key] : { polluted: true };
    const poisoned = JSON.stringify(manifest, null, 2).replace(`"${MARK}"`, JSON.stringify(key));
    expect(poisoned.length, 'the key is written into the file').toBeGreaterThan(original.length);
    await writeFile(join(dir, 'ferry.json'), poisoned);

    const json = await runFerry('verify', dir, '--json');
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout) as VerifyReport;
    const schema = report.checks.find((c) => c.id === 'schema');
    expect(schema?.ok).toBe(false);
    expect(schema?.problems.join('\n')).toContain(path);
    const plain = await runFerry('verify', dir);
    expect(plain.code).toBe(1);
    expect(plain.stdout).toContain(path);
    expect(plain.stdout).toContain('NOT VERIFIED');
    const error = await failure(readBack(dir));
    expect(error).toMatchObject({ code: 'BUNDLE_INVALID' });
    expect(error.message).toContain(path);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('ferry verify', () => {
  it('prints a plain report and exits 0 for a good bundle, 1 for a bad one', async () => {
    const ok = await runFerry('verify', good.archive);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/ok +every part's size and sha256/);
    expect(ok.stdout).toContain('verified: the bundle is intact');
    const bad = corpus.find((b) => b.name === 'truncated-part');
    if (!bad) throw new Error('no truncated-part');
    const failed = await runFerry('verify', bad.dir);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/FAILED +every part's size and sha256/);
    expect(failed.stdout).toContain(bad.mentions);
    expect(failed.stdout).toContain('NOT VERIFIED');
  });

  it('--json prints the report with the same exit codes', async () => {
    const ok = await runFerry('verify', good.directory, '--json');
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ ok: true, form: 'directory', bundle: good.directory });
    for (const bad of corpus) {
      const result = await runFerry('verify', bad.dir, '--json');
      expect(result.code, bad.name).toBe(1);
      const report = JSON.parse(result.stdout) as VerifyReport;
      expect(report.ok, bad.name).toBe(false);
      expect(report.checks.find((c) => c.id === bad.expectCheck)?.ok, bad.name).toBe(false);
    }
  });

  it('an unfinished or missing bundle fails the schema check; no folder argument is a usage error', async () => {
    const missing = await runFerry('verify', join(work, 'nothing-here'), '--json');
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stdout)).toMatchObject({ ok: false, checks: [{ id: 'schema', ok: false }] });
    expect((await runFerry('verify')).code).toBe(2);
    expect((await runFerry('verify', '--help')).stdout).toContain('Usage: ferry verify BUNDLE');
  });

  it('cancel: an aborted signal stops verification with CANCELLED', async () => {
    const controller = new AbortController();
    controller.abort();
    expect((await failure(verifyBundle(good.archive, { signal: controller.signal }))).code).toBe('CANCELLED');
    // Mid-pass, with the parts on the hash thread: it stops too (and the thread with it).
    const midway = new AbortController();
    const cancelled = verifyBundle(good.archive, { hashThread: true, signal: midway.signal, onBytes: () => midway.abort() });
    expect((await failure(cancelled)).code).toBe('CANCELLED');
  });
});
