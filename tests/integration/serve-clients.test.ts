/**
 * Real clients against the real `ferry serve` command in TLS + htpasswd mode
 * (`--tls auto`, its own CA): skopeo pushes and pulls every fixture image
 * (multi-arch, Docker types, an artifact with a subject) byte for byte;
 * Ferry's own import and copy push into it and read from it; and containerd
 * fetches through it by digest using nothing but the certs.d/hosts.toml
 * output Ferry wrote — with the source registry stopped.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDir, trackDir } from '../harness/cleanup.ts';
import { emptyAuthFile } from '../harness/ferry-access.ts';
import { startFerryServe } from '../harness/ferry-serve.ts';
import type { RunningFerryServe } from '../harness/ferry-serve.ts';
import { buildFixtures, seedFixtures } from '../harness/fixtures.ts';
import type { FixtureImage, FixtureName } from '../harness/fixtures.ts';
import { startRegistry } from '../harness/registry.ts';
import type { RunningRegistry } from '../harness/registry.ts';
import { SkopeoError, dockerRef, runSkopeo, skopeoFlags, skopeoInspectRawDigest } from '../harness/skopeo.ts';
import { Teardown } from '../harness/teardown.ts';
import { runFerry } from '../harness/test-helpers.ts';

const USER = { username: 'site-admin', password: 'serve-clients-secret-3' };
const ALL: FixtureName[] = ['oci-single', 'docker-schema2', 'oci-index', 'docker-list', 'artifact-referrer', 'empty-layer', 'big-layers'];

const teardown = new Teardown();
let fixtures: Record<FixtureName, FixtureImage>;
let serve: RunningFerryServe;
let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ferry-serve-clients-'));
  trackDir(work);
  teardown.add(work, removeDir);
  // Two 1 MiB big layers instead of three 4 MiB ones: still several chunks per blob, far less disk and CPU on a shared machine.
  fixtures = await buildFixtures({ bigLayerBytes: 1024 * 1024, bigLayerCount: 2 });
  serve = teardown.add(await startFerryServe({ tls: true, users: [USER] }), (s) => s.stop());
});
afterAll(() => teardown.run());

const sha256 = (bytes: Buffer): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/** Checks a skopeo `dir:` copy: the top manifest and every manifest and blob of the fixture, hashed. */
async function expectDirHolds(dir: string, fixture: FixtureImage, top: string): Promise<void> {
  expect(sha256(await readFile(join(dir, 'manifest.json'))), `${fixture.name} top manifest`).toBe(top);
  const files = new Set(await readdir(dir));
  const reachable = fixture.content.filter((c) => c.digest !== top && c.digest !== fixture.referrersIndexDigest);
  for (const content of reachable) {
    const hex = content.digest.slice('sha256:'.length);
    const name = files.has(`${hex}.manifest.json`) ? `${hex}.manifest.json` : hex;
    expect(files.has(name), `${fixture.name}: ${content.digest} (${content.mediaType}) pulled`).toBe(true);
    expect(sha256(await readFile(join(dir, name))), `${fixture.name}: ${content.digest} bytes`).toBe(content.digest);
  }
}

describe('skopeo', () => {
  it('pushes every fixture image into ferry serve, and reads back the digests it pushed', { timeout: 300_000 }, async () => {
    await seedFixtures(
      serve,
      ALL.map((n) => fixtures[n]),
      { concurrency: 2 },
    );
  });

  it('pulls every fixture image from ferry serve with every manifest and blob byte-identical', { timeout: 300_000 }, async () => {
    for (const name of ALL) {
      const fixture = fixtures[name];
      for (const push of fixture.pushes) {
        const ref = dockerRef(serve, fixture.repository, push.tag);
        if (push.via === 'http-put') {
          // skopeo 1.9 cannot copy an index whose descriptors carry artifactType (raw-push.ts); its raw bytes are still checked.
          expect(await skopeoInspectRawDigest(ref, serve)).toBe(push.descriptor.digest);
          continue;
        }
        const dir = join(work, `pull-${name}-${push.refName}`);
        const flags = skopeoFlags(serve, 'src-');
        await runSkopeo(['copy', '--quiet', '--all', '--preserve-digests', ...flags.args, ref, `dir:${dir}`], flags.secrets);
        await expectDirHolds(dir, fixture, push.descriptor.digest);
      }
    }
  });

  it('is refused without credentials and with a wrong password', async () => {
    const fixture = fixtures['oci-single'];
    const ref = dockerRef(serve, fixture.repository, fixture.tag);
    for (const creds of [null, { username: USER.username, password: 'not-the-password' }]) {
      const error = await skopeoInspectRawDigest(ref, serve, creds).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(SkopeoError);
      expect((error as SkopeoError).stderr).toMatch(/unauthorized|authentication required/i);
    }
  });
});

describe('Ferry import and copy, and containerd through the mirror configuration', () => {
  const IMAGES: FixtureName[] = ['oci-single', 'oci-index', 'docker-list', 'artifact-referrer'];
  let source: RunningRegistry;
  let bundle: string;
  let mirrorConfig: string;
  const serveFlags = (prefix: '' | 'src-' | 'dest-'): string[] => [`--${prefix}ca-cert`, serve.caFile ?? '', `--${prefix}creds`, `${USER.username}:${USER.password}`];

  beforeAll(async () => {
    source = teardown.add(await startRegistry({ mode: 'anonymous' }), (r) => r.stop());
    await seedFixtures(
      source,
      IMAGES.map((n) => fixtures[n]),
    );
    const list = join(work, 'images.txt');
    await writeFile(
      list,
      IMAGES.filter((n) => n !== 'artifact-referrer')
        .map((n) => `${source.host}/${fixtures[n].repository}:${fixtures[n].tag}`)
        .join('\n'),
    );
    bundle = join(work, 'bundle');
    const exported = await runFerry('export', '--to', bundle, '--images', list, '--plain-http', '--authfile', emptyAuthFile);
    if (exported.code !== 0) throw new Error(`export failed: ${exported.stderr}`);
    mirrorConfig = join(work, 'mirror-config');
  }, 300_000);

  it('ferry import pushes a bundle into ferry serve over TLS with a user, and writes the mirror configuration with its CA', { timeout: 300_000 }, async () => {
    const result = await runFerry('import', bundle, '--to', `${serve.host}/site`, '--authfile', emptyAuthFile, ...serveFlags(''), '--mirror-config', mirrorConfig, '--json');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout + result.stderr).not.toContain(USER.password);
    for (const name of IMAGES.filter((n) => n !== 'artifact-referrer')) {
      const fixture = fixtures[name];
      expect(await skopeoInspectRawDigest(dockerRef(serve, `site/${fixture.repository}`, fixture.tag), serve), name).toBe(fixture.manifestDigest);
    }
  });

  it('ferry copy reads from and writes to ferry serve, and copies into it from another registry', { timeout: 300_000 }, async () => {
    const index = fixtures['oci-index'];
    const within = await runFerry(
      'copy',
      `${serve.host}/site/${index.repository}:${index.tag}`,
      `${serve.host}/copied/oci-index:${index.tag}`,
      '--authfile',
      emptyAuthFile,
      ...serveFlags('src-'),
      ...serveFlags('dest-'),
    );
    expect(within.code, within.stderr).toBe(0);
    expect(await skopeoInspectRawDigest(dockerRef(serve, 'copied/oci-index', index.tag), serve)).toBe(index.manifestDigest);

    const list = fixtures['docker-list'];
    const across = await runFerry(
      'copy',
      `${source.host}/${list.repository}:${list.tag}`,
      `${serve.host}/copied/docker-list:${list.tag}`,
      '--authfile',
      emptyAuthFile,
      '--src-plain-http',
      ...serveFlags('dest-'),
    );
    expect(across.code, across.stderr).toBe(0);
    expect(await skopeoInspectRawDigest(dockerRef(serve, 'copied/docker-list', list.tag), serve)).toBe(list.manifestDigest);

    const back = await runFerry(
      'copy',
      `${serve.host}/copied/docker-list:${list.tag}`,
      `${source.host}/back/docker-list:${list.tag}`,
      '--authfile',
      emptyAuthFile,
      ...serveFlags('src-'),
      '--dest-plain-http',
    );
    expect(back.code, back.stderr).toBe(0);
    expect(await skopeoInspectRawDigest(dockerRef(source, 'back/docker-list', list.tag), source)).toBe(list.manifestDigest);
  });

  it('containerd fetches by digest through ferry serve with only the certs.d/hosts.toml Ferry wrote, the source registry stopped', { timeout: 300_000 }, async () => {
    const { startContainerd } = await import('../harness/containerd.ts');
    const hostsDir = join(mirrorConfig, 'containerd', 'certs.d');
    expect(existsSync(hostsDir), `${hostsDir} written by ferry import --mirror-config`).toBe(true);
    // The trust comes from Ferry's files alone: the source host's hosts.toml names ferry serve over https with its CA, never skip_verify.
    const { hostFolder } = await import('../../src-main/mirror-config/containerd.ts');
    const hostsToml = await readFile(join(hostsDir, hostFolder(source.host), 'hosts.toml'), 'utf8');
    expect(hostsToml).toContain(`https://${serve.host}`);
    expect(hostsToml).not.toMatch(/skip_verify\s*=\s*true/);
    const caPath = /^\s*ca\s*=\s*"([^"]+)"/m.exec(hostsToml)?.[1];
    expect(caPath, 'hosts.toml names a CA file').toBeDefined();
    expect(await readFile(resolve(hostsDir, hostFolder(source.host), caPath ?? ''), 'utf8')).toContain(serve.caPem?.trim() ?? 'no CA');
    const containerd = await startContainerd();
    try {
      await source.stop();
      const index = fixtures['oci-index'];
      await containerd.fetch(`${source.host}/${index.repository}@${index.manifestDigest}`, { hostsDir, user: `${USER.username}:${USER.password}`, allPlatforms: true });
      const stored = new Set(await containerd.listContent());
      for (const content of index.content) expect(stored.has(content.digest), `${content.digest} (${content.mediaType}) in containerd's store`).toBe(true);
      // …and they came from ferry serve: its request log has containerd's GET of the index by digest.
      expect(serve.readLog()).toContain(`GET /v2/site/${index.repository}/manifests/${index.manifestDigest} 200`);
    } finally {
      await containerd.stop();
    }
  });
});
