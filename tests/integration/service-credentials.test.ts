/**
 * The desktop app's saved logins end to end: a password sealed through
 * `credentials:save` authenticates the app's calls to a real TLS + htpasswd
 * registry, and appears in no file Ferry writes (bundle, catalog, settings).
 */
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RegistryAccessInput } from '../../src-shared/api/contract.ts';
import { createService, type Service } from '../../src-main/service.ts';
import { emptyAuthFile } from '../harness/ferry-access.ts';
import { buildFixtures, seedFixtures, type FixtureImage } from '../harness/fixtures.ts';
import { startRegistry, type RunningRegistry } from '../harness/registry.ts';
import { Teardown } from '../harness/teardown.ts';
import { testCipher } from '../harness/test-cipher.ts';

let registry: RunningRegistry;
let fixture: FixtureImage;
let work: string;
let app: Service;
let browser: Service;

/** Every file under `dir`, recursively, for the "no secret anywhere" check. */
async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(path)));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

const teardown = new Teardown();

beforeAll(async () => {
  registry = teardown.add(await startRegistry({ mode: 'tls-basic' }), (started) => started.stop());
  fixture = (await buildFixtures())['oci-single'];
  await seedFixtures(registry, [fixture]);
  work = await mkdtemp(join(tmpdir(), 'ferry-service-credentials-'));
  app = teardown.add(createService({ mode: 'electron', catalogPath: join(work, 'data', 'catalog.sqlite'), cipher: testCipher() }), (created) => created.close());
  browser = teardown.add(createService({ mode: 'browser', catalogPath: join(work, 'browser-data', 'catalog.sqlite') }), (created) => created.close());
});

afterAll(async () => {
  await teardown.run();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('saved logins (desktop app)', () => {
  it('a login saved once authenticates the connection test and an export, and is written nowhere in clear', async () => {
    const access: RegistryAccessInput = { caCertFiles: [registry.caFile ?? ''], authFile: emptyAuthFile };
    const before = await app['registry:test']({ registry: registry.host, access });
    expect(before.ok).toBe(false);
    expect(before.message).toMatch(/401|unauthori[sz]ed|credentials/i);
    expect(before.hint).toEqual({ kind: 'credentials', host: registry.host });

    await app['credentials:save']({ registry: `${registry.host}/any/prefix`, username: registry.username ?? '', password: registry.password ?? '' });
    expect(await app['credentials:status']({})).toEqual({ available: true, reason: null, registries: [{ registry: registry.host, username: registry.username }] });
    const after = await app['registry:test']({ registry: registry.host, access });
    expect(after).toEqual({ ok: true, message: `${registry.host} answers as an OCI registry and accepts the saved login` });

    const target = join(work, 'bundle');
    const { jobId } = await app['export:run']({ references: [`${registry.host}/${fixture.repository}:${fixture.tag}`], target, registry: access });
    const job = await app.settled(jobId);
    expect(job?.status, JSON.stringify(job?.error)).toBe('succeeded');
    expect((await stat(join(target, 'ferry.json'))).isFile()).toBe(true);

    const password = registry.password ?? '';
    expect(password.length).toBeGreaterThan(6);
    const written = [...(await filesUnder(target)), ...(await filesUnder(join(work, 'data')))];
    expect(written.some((f) => f.endsWith('credentials.sealed.json'))).toBe(true);
    for (const file of written) expect((await readFile(file)).includes(password), file).toBe(false);
    expect(JSON.stringify(await app['job:list']({}))).not.toContain(password);
  });

  it('forgetting the login makes the registry refuse again', async () => {
    expect(await app['credentials:delete']({ registry: registry.host })).toEqual({ deleted: true });
    const result = await app['registry:test']({ registry: registry.host, access: { caCertFiles: [registry.caFile ?? ''], authFile: emptyAuthFile } });
    expect(result.ok).toBe(false);
  });

  it('browser mode keeps no password and says to name an auth file', async () => {
    expect(await browser['credentials:status']({})).toMatchObject({ available: false, registries: [] });
    await expect(browser['credentials:save']({ registry: registry.host, username: 'u', password: 'p' })).rejects.toThrow(/auth file/);
  });
});
