/**
 * `ferry registry check` against registries that are not Distribution (issue
 * 18), each played by the fault proxy's quirk modes in front of the real
 * Distribution registry: a path-depth limit (Quay, GitLab), manifest media
 * types refused (Harbor's "unknown: artifact", Nexus's 400), and repositories
 * that must exist (ECR) with Quay's creation API, which `createRepositories`
 * then uses so that a push succeeds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RegistryCheckReport } from '../../src-shared/model/registry-check.ts';
import { checkRegistry, createRepositories } from '../../src-main/usecases/registry-check.ts';
import { DOCKER_MANIFEST_LIST, OCI_INDEX } from '../../src-main/oci/media-types.ts';
import { emptyAuthFile } from '../harness/ferry-access.ts';
import { startFaultProxy, type FaultProxy } from '../harness/fault-proxy.ts';
import type { QuirkOptions } from '../harness/registry-quirks.ts';
import { startRegistry, type RunningRegistry } from '../harness/registry.ts';
import { pushSmallImage } from '../harness/signed-images.ts';
import { runSkopeo } from '../harness/skopeo.ts';
import { Teardown } from '../harness/teardown.ts';
import { failure, runFerry } from '../harness/test-helpers.ts';

const teardown = new Teardown();
const plain = { plainHttp: true, authFile: emptyAuthFile };
/** Quay's OAuth application token, given as the login's password (Quay's own convention: user `$oauthtoken`). */
const API_TOKEN = 'quay-oauth-application-token-7f3a';
const quayLogin = { ...plain, login: { username: '$oauthtoken', password: API_TOKEN } };
let upstream: RunningRegistry;

async function proxyWith(quirks: QuirkOptions): Promise<FaultProxy> {
  return teardown.add(await startFaultProxy({ upstream: upstream.url, quirks }), (p) => p.stop());
}

function row(report: RegistryCheckReport, id: string): { state: string; detail: string } {
  const found = report.rows.find((r) => r.id === id);
  if (!found) throw new Error(`no row ${id}`);
  return found;
}

async function catalog(): Promise<string[]> {
  return ((await (await fetch(`${upstream.url}/v2/_catalog`)).json()) as { repositories: string[] }).repositories;
}

beforeAll(async () => {
  upstream = teardown.add(await startRegistry({ mode: 'anonymous' }), (r) => r.stop());
  await pushSmallImage(upstream, 'mirror/app', 'v1', 'app');
});

afterAll(() => teardown.run());

describe('registry quirks, as ferry registry check reports them', () => {
  it('a path-depth limit (Quay, GitLab): maxDepth is the limit, named with the refusal', async () => {
    const proxy = await proxyWith({ maxDepth: 3 });
    const report = await checkRegistry(`${proxy.host}/mirror`, plain);
    expect(report).toMatchObject({ reachable: true, write: true, maxDepth: 3, createsRepositoriesOnPush: true, probeRepository: 'mirror/app' });
    expect(row(report, 'max-depth')).toMatchObject({ state: 'no', detail: expect.stringMatching(/^at most 3 levels: an upload 4 levels deep answered 400 NAME_INVALID/) as unknown });
    // Three uploads at fresh names (depths 2 and 3 accepted and cancelled, 4 refused) and none deeper: the probe stops at the limit.
    const depthPosts = proxy.requests.filter((r) => r.method === 'POST' && r.path.includes('/ferry-check-'));
    expect(depthPosts.map((r) => r.status)).toEqual([202, 202, 400]);
    expect(proxy.requests.filter((r) => r.method === 'DELETE' && r.path.includes('/ferry-check-')).map((r) => r.status)).toEqual([204, 204]);
    const shallow = await checkRegistry(`${(await proxyWith({ maxDepth: 2 })).host}/mirror`, plain);
    expect(shallow.maxDepth).toBe(2);
  });

  it('a depth limit at the prefix itself: maxDepth is the prefix depth, write is refused, and nothing is listed', async () => {
    const proxy = await proxyWith({ maxDepth: 2 });
    const before = await catalog();
    const report = await checkRegistry(`${proxy.host}/org/team`, plain);
    expect(report).toMatchObject({ reachable: true, write: false, maxDepth: 2 });
    expect(row(report, 'max-depth')).toMatchObject({
      state: 'no',
      detail: expect.stringMatching(/^at most 2 levels, which the prefix already uses: every upload under it answered 400 NAME_INVALID/) as unknown,
    });
    expect(row(report, 'write').state).toBe('no');
    expect(await catalog()).toEqual(before);
  });

  it('a throttled or otherwise refused deeper upload is no depth limit: one 429 is retried, a 405 leaves the depth unknown', async () => {
    const throttled = teardown.add(await startFaultProxy({ upstream: upstream.url }), (p) => p.stop());
    throttled.addFault({ method: 'POST', path: /\/ferry-check-[0-9a-f]+\/l3\/blobs\/uploads\/$/, times: 1, fault: { kind: 'status', status: 429 } });
    const report = await checkRegistry(`${throttled.host}/mirror`, plain);
    expect(throttled.pendingFaults()).toBe(0);
    expect(report).toMatchObject({ reachable: true, write: true, maxDepth: null });
    expect(row(report, 'max-depth').state).toBe('yes');

    const refusing = teardown.add(await startFaultProxy({ upstream: upstream.url }), (p) => p.stop());
    refusing.addFault({ method: 'POST', path: /\/ferry-check-[0-9a-f]+\/l3\/blobs\/uploads\/$/, times: 1, fault: { kind: 'status', status: 405 } });
    const unknown = await checkRegistry(`${refusing.host}/mirror`, plain);
    expect(refusing.pendingFaults()).toBe(0);
    expect(unknown.maxDepth).toBeNull();
    expect(row(unknown, 'max-depth')).toMatchObject({
      state: 'unknown',
      detail: expect.stringMatching(/^2 levels were accepted; an upload 3 levels deep answered 405 UNSUPPORTED, which says nothing about depth/) as unknown,
    });
  });

  it("manifest media types refused: Harbor's unknown: artifact for OCI indexes, Nexus's 400 for manifest lists", async () => {
    const harbor = await proxyWith({ refuseManifestTypes: { mediaTypes: [OCI_INDEX], style: 'harbor' } });
    const report = await checkRegistry(`${harbor.host}/mirror`, plain);
    expect(report.accepts).toEqual({ ociIndex: false, dockerManifestList: true, artifactType: true, subject: true });
    expect(row(report, 'oci-index')).toMatchObject({ state: 'no', detail: expect.stringMatching(/refused: .*400 \(UNKNOWN: artifact mirror\/app: unsupported media type/) as unknown });
    expect(report.leftovers).toEqual([]);
    const nexus = await proxyWith({ refuseManifestTypes: { mediaTypes: [OCI_INDEX, DOCKER_MANIFEST_LIST], style: 'nexus' } });
    const refused = await checkRegistry(`${nexus.host}/mirror`, plain);
    expect(refused.accepts).toEqual({ ociIndex: false, dockerManifestList: false, artifactType: true, subject: true });
    expect(row(refused, 'docker-manifest-list').detail).toMatch(/MANIFEST_INVALID/);
  });

  it('repositories that must exist (ECR) with a creation API (Quay): reported, and createRepositories makes the push succeed', async () => {
    const proxy = await proxyWith({ repositoriesMustExist: { known: ['mirror/app'] }, creationApi: { token: API_TOKEN } });
    const before = await catalog();
    const report = await checkRegistry(`${proxy.host}/mirror`, plain);
    expect(report).toMatchObject({ write: true, createsRepositoriesOnPush: false, canCreateRepositories: true, probeRepository: 'mirror/app', leftovers: [] });
    expect(row(report, 'creates-repositories').detail).toMatch(/404 NAME_UNKNOWN: repositories must exist before a push/);
    expect(row(report, 'max-depth').state).toBe('unknown');
    expect(proxy.quirks?.created).toEqual([]);
    expect(await catalog()).toEqual(before);

    const copy = ['copy', '--quiet', '--src-tls-verify=false', '--dest-tls-verify=false', `docker://${upstream.host}/mirror/app:v1`, `docker://${proxy.host}/mirror/new:v1`];
    await expect(runSkopeo(copy)).rejects.toThrow(/does not exist/);
    const unauthorised = await failure(createRepositories(proxy.host, ['mirror/new'], plain));
    expect(unauthorised.message).toMatch(/OAuth application token .*log in to .* with it as the password/);
    const wrongToken = await failure(createRepositories(proxy.host, ['mirror/new'], { ...plain, login: { username: '$oauthtoken', password: 'not-the-token' } }));
    expect(wrongToken.message).toMatch(/401/);
    expect(wrongToken.message).not.toContain('not-the-token');
    expect(proxy.quirks?.created).toEqual([]);
    const created = await createRepositories(proxy.host, ['mirror/new', 'mirror/new'], quayLogin);
    expect(created).toEqual([{ repository: 'mirror/new', outcome: 'created' }]);
    await runSkopeo(copy);
    expect(await catalog()).toContain('mirror/new');
    expect(await createRepositories(proxy.host, ['mirror/new'], quayLogin)).toEqual([{ repository: 'mirror/new', outcome: 'existed' }]);
  });

  it('an empty prefix on a registry whose pushes create no repository is not writable: exit 1, and the hint names the flag', async () => {
    const proxy = await proxyWith({ repositoriesMustExist: { known: [] }, creationApi: { token: API_TOKEN } });
    const result = await runFerry('registry', 'check', '--plain-http', '--authfile', emptyAuthFile, `${proxy.host}/site`);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^Write access under the prefix +no +no repository under the prefix to write to/m);
    expect(result.stdout).toContain('Pushes do not create repositories: import with --create-repositories, or create them first.');
  });

  it('createRepositories refuses, naming the repositories, where the registry offers no way to create them', async () => {
    const proxy = await proxyWith({ repositoriesMustExist: { known: [] } });
    const error = await failure(createRepositories(proxy.host, ['mirror/a', 'mirror/b'], plain));
    expect(error.message).toMatch(/offers no way to create repositories .*create these first: mirror\/a, mirror\/b$/);
  });
});
