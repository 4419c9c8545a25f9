/**
 * `ferry registry check` against the real Distribution 2.8 (issue 18): every
 * capability reported as Distribution has it (no referrers API), with deletes
 * enabled and disabled, over TLS with a login and with a token service; and it
 * leaves no tag and no new repository behind — `_catalog` and every tag list
 * are the same afterwards, on a prefix that holds a repository and on an
 * empty one. Plus the CLI's table, its JSON and its exit codes.
 */
import { access, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FerryError } from '../../src-shared/errors.ts';
import type { RegistryCheckReport } from '../../src-shared/model/registry-check.ts';
import { checkRegistry } from '../../src-main/usecases/registry-check.ts';
import { Registries } from '../../src-main/oci/registry/registries.ts';
import { listRepositoriesPage, listTagsPage } from '../../src-main/oci/registry/tags.ts';
import { emptyAuthFile } from '../harness/ferry-access.ts';
import { startRegistry, type RunningRegistry } from '../harness/registry.ts';
import { pushSmallImage } from '../harness/signed-images.ts';
import { dockerRef, skopeoCopy } from '../harness/skopeo.ts';
import { Teardown } from '../harness/teardown.ts';
import { failure, runFerry } from '../harness/test-helpers.ts';

const teardown = new Teardown();
let open: RunningRegistry;
let noDeletes: RunningRegistry;
let seeded: string;

/** What a client can see of a registry: its catalog and every repository's tags. */
async function visible(registry: RunningRegistry): Promise<Record<string, string[]>> {
  const catalog = (await (await fetch(`${registry.url}/v2/_catalog`)).json()) as { repositories: string[] };
  const seen: Record<string, string[]> = {};
  for (const repository of catalog.repositories) {
    const tags = (await (await fetch(`${registry.url}/v2/${repository}/tags/list`)).json()) as { tags: string[] | null };
    seen[repository] = [...(tags.tags ?? [])].sort();
  }
  return seen;
}

/** What a client logged in to a token registry sees: the catalog and every tag list, through Ferry's own client. */
async function visibleWith(registry: RunningRegistry, login: { username: string; password: string }): Promise<Record<string, string[]>> {
  const registries = new Registries({ plainHttp: true, tls: { verify: true, caCertFiles: [], certDirs: [] }, authFile: emptyAuthFile, creds: { ...login, host: registry.host } });
  try {
    const client = await registries.client(registry.host);
    const seen: Record<string, string[]> = {};
    for (const repository of (await listRepositoriesPage(client)).names) seen[repository] = (await listTagsPage(client, repository)).names;
    return seen;
  } finally {
    await registries.close();
  }
}

/** The manifest revisions and blob links Distribution keeps for a repository (a delete by digest removes the `link` file, not its folder). */
async function stored(registry: RunningRegistry, repository: string): Promise<{ manifests: string[]; blobs: string[] }> {
  const root = join(registry.storageDir, 'docker/registry/v2/repositories', repository);
  const list = async (dir: string): Promise<string[]> => {
    const names = await readdir(join(root, dir)).catch(() => []);
    const linked = await Promise.all(
      names.map((name) =>
        access(join(root, dir, name, 'link')).then(
          () => name,
          () => undefined,
        ),
      ),
    );
    return linked.filter((name): name is string => name !== undefined).sort();
  };
  return { manifests: await list('_manifests/revisions/sha256'), blobs: await list('_layers/sha256') };
}

function row(report: RegistryCheckReport, id: string): { state: string; detail: string } {
  const found = report.rows.find((r) => r.id === id);
  if (!found) throw new Error(`no row ${id}`);
  return found;
}

const plain = { plainHttp: true, authFile: emptyAuthFile };

beforeAll(async () => {
  [open, noDeletes] = await Promise.all([
    startRegistry({ mode: 'anonymous' }).then((r) => teardown.add(r, (s) => s.stop())),
    startRegistry({ mode: 'anonymous', deleteEnabled: false }).then((r) => teardown.add(r, (s) => s.stop())),
  ]);
  const subject = await pushSmallImage(open, 'mirror/app', 'v1', 'app');
  seeded = subject.digest;
  await pushSmallImage(noDeletes, 'mirror/app', 'v1', 'app');
});

afterAll(() => teardown.run());

describe('ferry registry check against Distribution 2.8', () => {
  it('reports every capability of a prefix holding a repository, probes inside it, and leaves nothing behind', async () => {
    const before = await visible(open);
    const storedBefore = await stored(open, 'mirror/app');
    const steps: string[] = [];
    const report = await checkRegistry(`${open.host}/mirror`, plain, { onStep: (label) => steps.push(label) });
    expect(report).toMatchObject({
      registry: open.host,
      prefix: 'mirror',
      reachable: true,
      tls: 'plain-http',
      auth: 'anonymous',
      write: true,
      maxDepth: null,
      depthCeiling: 8,
      accepts: { ociIndex: true, dockerManifestList: true, artifactType: true, subject: true },
      referrersApi: false,
      createsRepositoriesOnPush: true,
      deletes: true,
      canCreateRepositories: false,
      probeRepository: 'mirror/app',
      leftovers: [],
    });
    expect(report.throttling).toBeUndefined();
    expect(row(report, 'throttling')).toEqual({ id: 'throttling', label: 'Throttling', state: 'no', detail: 'not observed' });
    expect(row(report, 'referrers-api').detail).toMatch(/^no: 404/);
    expect(report.rows.map((r) => r.state)).not.toContain('unknown');
    expect(steps[0]).toBe(`Connecting to ${open.host}`);
    expect(steps).toContain('Pushing probe manifests by digest');
    // Nothing visible changed, and every probe manifest and blob is gone from the repository's storage.
    expect(await visible(open)).toEqual(before);
    expect(before).toEqual({ 'mirror/app': ['v1'] });
    expect(await stored(open, 'mirror/app')).toEqual(storedBefore);
    expect(storedBefore.manifests).toEqual([seeded.slice('sha256:'.length)]);
  });

  it('a check cancelled after it stored its probes still deletes them', async () => {
    const storedBefore = await stored(open, 'mirror/app');
    const controller = new AbortController();
    const steps: string[] = [];
    const onStep = (label: string): void => {
      steps.push(label);
      if (label === 'Asking for the referrers API') controller.abort(new FerryError('CANCELLED', 'cancelled by the test'));
    };
    const error = await failure(checkRegistry(`${open.host}/mirror`, plain, { signal: controller.signal, onStep }));
    expect(error.code).toBe('CANCELLED');
    expect(steps.slice(-2)).toEqual(['Asking for the referrers API', 'Cleaning up']);
    expect(await stored(open, 'mirror/app')).toEqual(storedBefore);
  });

  it('a check cancelled during its clean-up still deletes everything it stored', async () => {
    const storedBefore = await stored(open, 'mirror/app');
    const controller = new AbortController();
    const onStep = (label: string): void => {
      if (label === 'Cleaning up') controller.abort(new FerryError('CANCELLED', 'cancelled by the test'));
    };
    await Promise.allSettled([checkRegistry(`${open.host}/mirror`, plain, { signal: controller.signal, onStep })]);
    expect(controller.signal.aborted).toBe(true);
    expect(await stored(open, 'mirror/app')).toEqual(storedBefore);
  });

  it('on an empty prefix stores nothing: writes are shown by an upload cancelled before it completes, manifest kinds stay unknown', async () => {
    const before = await visible(open);
    const report = await checkRegistry(`${open.host}/fresh/site`, plain);
    expect(report).toMatchObject({
      prefix: 'fresh/site',
      write: true,
      maxDepth: null,
      accepts: { ociIndex: null, dockerManifestList: null, artifactType: null, subject: null },
      referrersApi: false,
      createsRepositoriesOnPush: true,
      deletes: true,
      leftovers: [],
    });
    expect(report.probeRepository).toBeUndefined();
    expect(row(report, 'oci-index')).toMatchObject({ state: 'unknown', detail: expect.stringMatching(/^not probed: fresh\/site holds no repository yet/) as unknown });
    expect(row(report, 'write').detail).toMatch(/cancelled before completing, so no repository was created/);
    expect(await visible(open)).toEqual(before);
  });

  it('a named probe repository that does not exist yet is probed fully and left existing, listed as a leftover (never tagged)', async () => {
    const registry = teardown.add(await startRegistry({ mode: 'anonymous' }), (s) => s.stop());
    const report = await checkRegistry(`${registry.host}/mirror`, plain, { probeRepository: 'mirror/first' });
    expect(report.accepts).toEqual({ ociIndex: true, dockerManifestList: true, artifactType: true, subject: true });
    expect(report.leftovers).toEqual([`${registry.host}/mirror/first: the repository itself, which the check created (it was named as the repository to probe in); it holds no tag`]);
    expect(await visible(registry)).toEqual({ 'mirror/first': [] });
    expect(await stored(registry, 'mirror/first')).toEqual({ manifests: [], blobs: [] });
  });

  it("candidates (an import's targets) are probed in only when they exist: the first existing one, else none, and no repository appears", async () => {
    const before = await visible(open);
    const inExisting = await checkRegistry(`${open.host}/mirror`, plain, { candidates: ['mirror/absent', 'mirror/app'] });
    expect(inExisting).toMatchObject({ probeRepository: 'mirror/app', leftovers: [], accepts: { ociIndex: true } });
    const noneExists = await checkRegistry(`${open.host}/fresh`, plain, { candidates: ['fresh/a', 'fresh/b/c'] });
    expect(noneExists.probeRepository).toBeUndefined();
    expect(noneExists).toMatchObject({ write: true, leftovers: [], accepts: { ociIndex: null } });
    expect(await visible(open)).toEqual(before);
  });

  it('with deletes disabled says so, lists what stays behind by digest, and still leaves no tag and no new repository', async () => {
    const before = await visible(noDeletes);
    const report = await checkRegistry(`${noDeletes.host}/mirror`, plain);
    expect(report).toMatchObject({ write: true, deletes: false, accepts: { ociIndex: true, dockerManifestList: true, artifactType: true, subject: true }, referrersApi: false });
    expect(row(report, 'deletes').detail).toMatch(/405 UNSUPPORTED/);
    // Six probe manifests and two probe blobs (the config and the empty descriptor), each named with its digest.
    expect(report.leftovers).toHaveLength(8);
    for (const leftover of report.leftovers) expect(leftover).toMatch(new RegExp(`^${noDeletes.host}/mirror/app@sha256:[0-9a-f]{64}: `));
    expect(await visible(noDeletes)).toEqual(before);
    const empty = await checkRegistry(`${noDeletes.host}/other`, plain);
    expect(empty).toMatchObject({ deletes: false, write: true, leftovers: [] });
    expect(await visible(noDeletes)).toEqual(before);
  });

  it('names TLS with a verified certificate and Basic login, and a token service', async () => {
    const [basic, token] = await Promise.all([
      startRegistry({ mode: 'tls-basic' }).then((r) => teardown.add(r, (s) => s.stop())),
      startRegistry({
        mode: 'token',
        users: [
          { username: 'ferry', password: 'full-access', access: { '*': ['*'] } },
          { username: 'pusher', password: 'no-deletes', access: { 'mirror/*': ['pull', 'push'] } },
        ],
      }).then((r) => teardown.add(r, (s) => s.stop())),
    ]);
    const login = (r: RunningRegistry) => ({ username: r.username ?? '', password: r.password ?? '' });
    const overTls = await checkRegistry(`${basic.host}/mirror`, { authFile: emptyAuthFile, caCertFiles: [basic.caFile ?? ''], login: login(basic) });
    expect(overTls).toMatchObject({ reachable: true, tls: 'verified', auth: 'basic', write: true, deletes: true, referrersApi: false });
    await skopeoCopy({ ref: dockerRef(open, 'mirror/app', 'v1'), registry: open }, { ref: dockerRef(token, 'mirror/app', 'v1'), registry: token });
    const withToken = await checkRegistry(`${token.host}/mirror`, { ...plain, login: login(token) });
    expect(withToken).toMatchObject({ reachable: true, tls: 'plain-http', auth: 'token', write: true, createsRepositoriesOnPush: true, deletes: true, leftovers: [] });
    // A login that may push but not delete: nothing can be cleaned up, and everything that stays is listed.
    const before = await visibleWith(token, { username: 'ferry', password: 'full-access' });
    const pusher = await checkRegistry(`${token.host}/mirror`, { ...plain, login: { username: 'pusher', password: 'no-deletes' } });
    expect(pusher).toMatchObject({ write: true, deletes: null, createsRepositoriesOnPush: true });
    expect(row(pusher, 'deletes').detail).toMatch(/^this login may not delete \(a DELETE by digest answered 401/);
    // It may not list the catalog either, so nothing was stored: what stays are the upload sessions it could not cancel (seven depths and the write probe).
    expect(pusher.leftovers).toHaveLength(8);
    for (const leftover of pusher.leftovers) expect(leftover).toMatch(new RegExp(`^an upload session in ${token.host}/mirror/ferry-check-[0-9a-f]{12}[/l0-9]* \\(it expires on its own\\)$`));
    expect(await visibleWith(token, { username: 'ferry', password: 'full-access' })).toEqual(before);
    const refused = await checkRegistry(`${basic.host}/mirror`, { authFile: emptyAuthFile, caCertFiles: [basic.caFile ?? ''], login: { username: 'nobody', password: 'wrong' } });
    expect(refused).toMatchObject({ reachable: false, write: false });
    expect(row(refused, 'reachable').detail).toMatch(/401/);
  });
});

describe('ferry registry check (CLI)', () => {
  it('prints the table with progress on stderr, exit 0 when reachable and writable', async () => {
    const result = await runFerry('registry', 'check', '--plain-http', '--authfile', emptyAuthFile, `${open.host}/mirror`);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^CAPABILITY +RESULT +DETAIL$/m);
    expect(result.stdout).toMatch(/^Referrers API +no +no: 404/m);
    expect(result.stdout).toMatch(/^Accepts OCI indexes +yes +stored by digest in mirror\/app$/m);
    expect(result.stdout).toMatch(/^Throttling +no +not observed$/m);
    expect(result.stdout).toMatch(/^Accepts artifacts with an artifact type +yes /m);
    expect(result.stdout).toMatch(/^Accepts signatures and other referrers +yes /m);
    expect(result.stdout).toContain('Left behind: nothing.');
    expect(result.stderr).toContain(`Connecting to ${open.host}…\n`);
  });

  it('prints the report as JSON with --json and no progress lines; exit 1 when nothing answers', async () => {
    const json = await runFerry('registry', 'check', '--json', '--plain-http', '--authfile', emptyAuthFile, `${open.host}/mirror`);
    expect(json.code).toBe(0);
    expect(json.stderr).toBe('');
    const report = JSON.parse(json.stdout) as RegistryCheckReport;
    expect(report).toMatchObject({ target: `${open.host}/mirror`, reachable: true, write: true, referrersApi: false, deletes: true });
    expect(report.rows).toHaveLength(14);
    const down = await runFerry('registry', 'check', '--json', '--plain-http', '--authfile', emptyAuthFile, '127.0.0.1:1/mirror');
    expect(down.code).toBe(1);
    expect(JSON.parse(down.stdout)).toMatchObject({ reachable: false, write: false });
    const bad = await runFerry('registry', 'check', '--plain-http', 'Not A Registry/x');
    expect(bad.code).toBe(2);
  });
});
