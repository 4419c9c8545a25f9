/**
 * The import's preflight against registries as they really are, each played
 * by a quirk mode of the fault proxy in front of a real Distribution registry
 * (tests/harness/registry-quirks.ts): a bundle the registry cannot take is
 * refused before the first write of its content, naming every image and the
 * reason (path too deep, media type refused, repository missing), and goes
 * through with the fix (`--max-nested-paths`, `--create-repositories`).
 */
import { readdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OCI_INDEX } from '../../src-main/oci/media-types.ts';
import { nestPath } from '../../src-main/transfer/nested-paths.ts';
import { emptyAuthFile } from '../harness/ferry-access.ts';
import { startFaultProxy, type FaultProxy } from '../harness/fault-proxy.ts';
import { buildFixtures, seedFixtures, type FixtureImage, type FixtureName } from '../harness/fixtures.ts';
import type { QuirkOptions } from '../harness/registry-quirks.ts';
import { startRegistry, type RunningRegistry } from '../harness/registry.ts';
import { skopeoInspectRawDigest } from '../harness/skopeo.ts';
import { Teardown } from '../harness/teardown.ts';
import { runFerry } from '../harness/test-helpers.ts';
import { pushSmallImage } from '../harness/signed-images.ts';

const NAMES: FixtureName[] = ['oci-single', 'oci-index', 'docker-list'];
let fixtures: Record<FixtureName, FixtureImage>;
let sourceHost: string;
let work: string;
let bundle: string;
/** Every blob and manifest digest the bundle carries: a write naming one is a write of bundle content. */
let bundleDigests: string[];

const teardown = new Teardown();

beforeAll(async () => {
  const source = await startRegistry({ mode: 'anonymous' });
  fixtures = await buildFixtures();
  await seedFixtures(
    source,
    NAMES.map((name) => fixtures[name]),
  );
  sourceHost = source.host;
  work = await mkdtemp(join(tmpdir(), 'ferry-import-preflight-'));
  const list = join(work, 'images.txt');
  await writeFile(list, NAMES.map((name) => `${source.host}/${fixtures[name].repository}:${fixtures[name].tag}`).join('\n'));
  bundle = join(work, 'bundle');
  const exported = await runFerry('export', '--to', bundle, '--images', list, '--plain-http', '--authfile', emptyAuthFile);
  await source.stop();
  if (exported.code !== 0) throw new Error(`export failed: ${exported.stderr}`);
  bundleDigests = (await readdir(join(bundle, 'blobs', 'sha256'))).map((hex) => `sha256:${hex}`);
});

afterAll(async () => {
  await teardown.run();
  if (work) await rm(work, { recursive: true, force: true });
});

/** A fresh Distribution registry behind a proxy playing `quirks`. */
async function quirkyRegistry(quirks: QuirkOptions): Promise<{ registry: RunningRegistry; proxy: FaultProxy }> {
  const registry = teardown.add(await startRegistry({ mode: 'anonymous' }), (started) => started.stop());
  const proxy = teardown.add(await startFaultProxy({ upstream: registry.url, quirks }), (started) => started.stop());
  return { registry, proxy };
}

/** Writes that carried bundle content (a blob upload or manifest naming one of its digests, or a tag) past the proxy to the registry. */
function bundleWrites(proxy: FaultProxy): string[] {
  return proxy.requests
    .filter((r) => ['PUT', 'POST', 'PATCH'].includes(r.method) && r.status < 300)
    .map((r) => `${r.method} ${r.path}`)
    .filter((line) => bundleDigests.some((digest) => line.includes(digest) || line.includes(encodeURIComponent(digest))) || /\/manifests\/(?!sha256:)[^/?]+/.test(line));
}

/** The repositories the registry lists: a refused import (its check included) must leave it unchanged. */
async function catalog(registry: RunningRegistry): Promise<string[]> {
  return ((await (await fetch(`${registry.url}/v2/_catalog`)).json()) as { repositories: string[] }).repositories;
}

const importInto = (proxy: FaultProxy, ...extra: string[]) => runFerry('import', bundle, '--to', `${proxy.host}/mirror`, '--plain-http', '--authfile', emptyAuthFile, ...extra);
const sourceOf = (name: FixtureName): string => `${sourceHost}/${fixtures[name].repository}:${fixtures[name].tag}`;

describe('import preflight', () => {
  it('stops before the first write on a registry that limits path depth, naming each image; --max-nested-paths then lands them all', async () => {
    const { registry, proxy } = await quirkyRegistry({ maxDepth: 2 });
    const before = await catalog(registry);
    const refused = await importInto(proxy);
    expect(refused.code).toBe(1);
    expect(await catalog(registry)).toEqual(before);
    for (const name of NAMES) expect(refused.stderr).toContain(`${sourceOf(name)} -> ${proxy.host}/mirror/${fixtures[name].repository}: path too deep`);
    expect(refused.stderr).toContain('--max-nested-paths 2');
    expect(bundleWrites(proxy)).toEqual([]);

    const landed = await importInto(proxy, '--max-nested-paths', '2');
    expect(landed.code, landed.stderr).toBe(0);
    expect(bundleWrites(proxy).length).toBeGreaterThan(0);
    for (const name of NAMES) {
      const folded = nestPath(`mirror/${fixtures[name].repository}`, 2);
      expect(await skopeoInspectRawDigest(`docker://${registry.host}/${folded}@${fixtures[name].manifestDigest}`, registry), name).toBe(fixtures[name].manifestDigest);
    }
  });

  it('stops before any write when the depth limit is at the prefix itself, quoting the check', async () => {
    const { registry, proxy } = await quirkyRegistry({ maxDepth: 2 });
    const before = await catalog(registry);
    const refused = await runFerry('import', bundle, '--to', `${proxy.host}/mirror/deep`, '--plain-http', '--authfile', emptyAuthFile);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`${proxy.host}/mirror/deep takes no write under its prefix; nothing was written`);
    expect(refused.stderr).toMatch(/write access under the prefix: an upload under the prefix was refused: .*400/);
    expect(refused.stderr).toContain('deep repository paths: at most 2 levels, which the prefix already uses');
    expect(bundleWrites(proxy)).toEqual([]);
    expect(await catalog(registry)).toEqual(before);
  });

  it('stops on a registry that refuses OCI indexes, naming only the image that has one, probing only in a repository that exists', async () => {
    const { registry, proxy } = await quirkyRegistry({ refuseManifestTypes: { mediaTypes: [OCI_INDEX], style: 'harbor' } });
    await pushSmallImage(registry, 'mirror/existing', 'v1', 'existing');
    const before = await catalog(registry);
    const refused = await importInto(proxy);
    expect(refused.code).toBe(1);
    expect(await catalog(registry)).toEqual(before);
    expect(refused.stderr).toContain(`${sourceOf('oci-index')} -> ${proxy.host}/mirror/${fixtures['oci-index'].repository}: media type refused`);
    expect(refused.stderr).toContain('OCI image index');
    expect(refused.stderr).not.toContain(`${sourceOf('oci-single')} ->`);
    expect(bundleWrites(proxy)).toEqual([]);
  });

  it('stops on a registry where repositories must exist, listing them; --create-repositories creates them and the import goes through', async () => {
    const token = 'quay-oauth-application-token-7f3a';
    const { registry, proxy } = await quirkyRegistry({ repositoriesMustExist: { known: [] }, creationApi: { token } });
    const before = await catalog(registry);
    const refused = await importInto(proxy);
    expect(refused.code).toBe(1);
    expect(await catalog(registry)).toEqual(before);
    for (const name of NAMES) expect(refused.stderr).toContain(`${sourceOf(name)} -> ${proxy.host}/mirror/${fixtures[name].repository}: repository missing`);
    expect(refused.stderr).toContain(`repositories to create first (${NAMES.length})`);
    expect(refused.stderr).toContain('--create-repositories');
    expect(bundleWrites(proxy)).toEqual([]);

    const landed = await importInto(proxy, '--create-repositories', '--creds', `$oauthtoken:${token}`);
    expect(landed.code, landed.stderr).toBe(0);
    expect(proxy.quirks?.created).toEqual(expect.arrayContaining(NAMES.map((name) => `mirror/${fixtures[name].repository}`)));
    for (const name of NAMES) {
      expect(await skopeoInspectRawDigest(`docker://${registry.host}/mirror/${fixtures[name].repository}@${fixtures[name].manifestDigest}`, registry), name).toBe(fixtures[name].manifestDigest);
    }
  });

  it('stops naming the repositories where the registry offers no way to create them', async () => {
    const { registry, proxy } = await quirkyRegistry({ repositoriesMustExist: { known: [] } });
    const before = await catalog(registry);
    const refused = await importInto(proxy, '--create-repositories');
    expect(refused.code).toBe(1);
    expect(await catalog(registry)).toEqual(before);
    expect(refused.stderr).toContain('repository missing');
    expect(refused.stderr).toContain('offers no way Ferry knows to create repositories');
    expect(bundleWrites(proxy)).toEqual([]);
  });

  it('--skip-registry-check leaves the check out: the push then fails at the registry itself', async () => {
    const { proxy } = await quirkyRegistry({ maxDepth: 2 });
    const result = await importInto(proxy, '--skip-registry-check');
    expect(result.code).toBe(1);
    expect(result.stderr).not.toContain('path too deep');
    expect(proxy.requests.some((r) => r.path === '/api/v1/discovery')).toBe(false);
  });
});
