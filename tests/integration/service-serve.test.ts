/**
 * The app's own registry through the contract (issue 15, "The app"): a
 * service starts Ferry's registry (TLS automatic, one user) on 127.0.0.1,
 * imports a real bundle into it trusting only its CA and logging in as that
 * user, saves the mirror configuration with its folder layout, and a second
 * service over the same settings starts the same registry with the app —
 * with the password kept only as a bcrypt hash. skopeo reads the image back
 * from the served registry as the oracle.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createService, type Service } from '../../src-main/service.ts';
import type { ServeStatus } from '../../src-shared/api/contract.ts';
import { emptyAuthFile } from '../harness/ferry-access.ts';
import { buildFixtures, seedFixtures, type FixtureImage } from '../harness/fixtures.ts';
import { startRegistry, type RunningRegistry } from '../harness/registry.ts';
import { Teardown } from '../harness/teardown.ts';
import { failure } from '../harness/test-helpers.ts';

const run = promisify(execFile);
const USER = 'site-admin';
/** A test-only password for a registry this test starts and stops. */
const PASSWORD = 'e2e registry password';

let work: string;
let source: RunningRegistry;
let fixture: FixtureImage;
let bundle: string;
let service: Service;
const teardown = new Teardown();

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ferry-service-serve-'));
  process.env.XDG_DATA_HOME = join(work, 'data');
  process.env.REGISTRY_AUTH_FILE = emptyAuthFile;
  source = teardown.add(await startRegistry({ mode: 'anonymous' }), (started) => started.stop());
  fixture = (await buildFixtures())['oci-single'];
  await seedFixtures(source, [fixture]);
  service = teardown.add(createService({ mode: 'browser', catalogPath: join(work, 'app', 'catalog.sqlite') }), (started) => started.close());
  bundle = join(work, 'usb');
  await mkdir(bundle);
  const { jobId } = await service['export:run']({ references: [`${source.host}/${fixture.repository}:${fixture.tag}`], target: bundle, registry: { plainHttp: true } });
  expect((await service.settled(jobId))?.status).toBe('succeeded');
}, 180_000);

afterAll(async () => {
  await teardown.run();
  await rm(work, { recursive: true, force: true });
});

describe('serve:start, serve:status, serve:stop and start-with-app', () => {
  it('refuses a relative storage folder and a user without a password, naming the field', async () => {
    expect(await failure(service['serve:start']({ storage: 'relative/store', port: 0, tls: true }))).toMatchObject({ code: 'INVALID_ARGUMENT', details: { argument: 'storage' } });
    // Reachable from the network (the default listen address) with no user: refused, naming the user field.
    expect(await failure(service['serve:start']({ storage: join(work, 'store'), port: 0, tls: true }))).toMatchObject({ code: 'INVALID_ARGUMENT', details: { argument: 'user.name' } });
    const noPassword = await failure(service['serve:start']({ storage: join(work, 'store'), port: 0, tls: true, listen: '127.0.0.1', user: { name: USER, password: '' } }));
    expect(noPassword).toMatchObject({ code: 'INVALID_ARGUMENT', details: { argument: 'user.password' } });
    expect((await service['serve:status']({})).running).toBe(false);
  });

  it('starts with TLS and a user, takes an import that trusts only its CA, and saves the mirror configuration with its folders', async () => {
    const states: ServeStatus[] = [];
    const off = service.on('serve:state', (status) => states.push(status));
    const storage = join(work, 'store');
    const running = await service['serve:start']({ storage, port: 0, tls: true, listen: '127.0.0.1', name: '127.0.0.1', user: { name: USER, password: PASSWORD } });
    off();
    expect(running).toMatchObject({ tls: true, storage, user: USER });
    expect(running.address).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(running.caPem).toContain('BEGIN CERTIFICATE');
    expect(states.at(-1)).toMatchObject({ running: true, registry: { address: running.address } });

    // The password is nowhere but as a bcrypt hash; settings remember the start without it.
    const htpasswd = await readFile(join(work, 'app', 'registry.htpasswd'), 'utf8');
    expect(htpasswd).toMatch(new RegExp(`^${USER}:\\$2y\\$10\\$`));
    expect(htpasswd).not.toContain(PASSWORD);
    expect(((await stat(join(work, 'app', 'registry.htpasswd'))).mode & 0o777).toString(8)).toBe('600');
    const settingsText = await readFile(join(work, 'app', 'settings.json'), 'utf8');
    expect(settingsText).not.toContain(PASSWORD);
    expect((await service['settings:get']({})).serve).toMatchObject({ storage, port: Number(running.address.split(':')[1]), tls: true, user: USER, startWithApp: false });

    // Without the login the registry refuses; with it and the CA (no TLS weakening) the import lands.
    const access = { caCertFiles: [running.caFile ?? ''], username: USER, password: PASSWORD };
    const denied = await service['registry:test']({ registry: running.address, access: { caCertFiles: access.caCertFiles } });
    expect(denied.ok).toBe(false);
    const { jobId } = await service['import:run']({ bundle, target: `${running.address}/site`, registry: access });
    const job = await service.settled(jobId);
    expect(job?.status, JSON.stringify(job?.error)).toBe('succeeded');
    // skopeo trusts only the CA (a folder holding ca.crt alone: a stray *.key there would be read as a client key).
    const certDir = join(work, 'skopeo-certs');
    await mkdir(certDir);
    await copyFile(running.caFile ?? '', join(certDir, 'ca.crt'));
    const { stdout } = await run('skopeo', ['inspect', '--raw', `--cert-dir=${certDir}`, `--creds=${USER}:${PASSWORD}`, `docker://${running.address}/site/${fixture.repository}:${fixture.tag}`]);
    expect(createHash('sha256').update(stdout).digest('hex')).toBe(fixture.manifestDigest.slice('sha256:'.length));
    const status = await service['serve:status']({});
    expect(status.stats?.images).toBeGreaterThanOrEqual(1);
    expect(status.stats?.bytes).toBeGreaterThan(0);

    // Save all: the same files as mirror:config, each at its relative path (folders kept, nothing collides).
    const mirrorInput = { bundle, target: `${running.address}/site`, mirrorCa: running.caFile ?? '', registry: { caCertFiles: access.caCertFiles } };
    const { files } = await service['mirror:config'](mirrorInput);
    const folder = join(work, 'mirror');
    const saved = await service['mirror:save']({ ...mirrorInput, folder });
    expect(saved.written).toEqual(files.map((file) => join(folder, ...file.path.split('/'))));
    expect(new Set(saved.written).size).toBe(files.length);
    for (const file of files) expect(await readFile(join(folder, ...file.path.split('/')), 'utf8')).toBe(file.text);
    // The saved files are read back and checked against the registry: without the login nothing could be asked, so no verdict;
    // with it, every image resolves through every format written.
    expect(saved.check).toBeUndefined();
    const checked = await service['mirror:save']({ ...mirrorInput, registry: access, folder: join(work, 'mirror-checked') });
    expect(checked.check).toMatchObject({ ok: true, images: 1, resolved: 1, formats: ['registries.conf', 'IDMS', 'ITMS', 'ICSP', 'hosts.toml'] });
    expect(await failure(service['mirror:save']({ ...mirrorInput, folder: 'relative' }))).toMatchObject({ code: 'INVALID_ARGUMENT', details: { argument: 'folder' } });
    // The CLI's one writer: a symlinked subfolder is refused before anything is written, and nothing lands where it points.
    const linked = join(work, 'mirror-linked');
    const elsewhere = join(work, 'elsewhere');
    await mkdir(linked, { recursive: true });
    await mkdir(elsewhere, { recursive: true });
    await symlink(elsewhere, join(linked, 'openshift'));
    const refused = await failure(service['mirror:save']({ ...mirrorInput, folder: linked }));
    expect(refused).toMatchObject({ code: 'INVALID_ARGUMENT', details: { path: join(linked, 'openshift') } });
    expect(await readdir(elsewhere)).toEqual([]);

    expect(await service['serve:stop']({})).toEqual({ stopped: true });
    expect((await service['serve:status']({})).running).toBe(false);
    expect(await service['serve:stop']({})).toEqual({ stopped: false });

    // A start that fails (its port is taken) keeps the saved login: the new one is swapped in only after a successful start.
    const holder = createServer();
    teardown.add(holder, (server) => new Promise<void>((done) => server.close(() => done())));
    await new Promise<void>((done) => holder.listen(0, '127.0.0.1', done));
    const taken = (holder.address() as AddressInfo).port;
    const failed = await failure(service['serve:start']({ storage, port: taken, tls: true, listen: '127.0.0.1', name: '127.0.0.1', user: { name: 'someone-else', password: 'another password' } }));
    expect(failed).toMatchObject({ code: 'INVALID_ARGUMENT', details: { argument: 'port', address: `127.0.0.1:${String(taken)}` } });
    expect(await readFile(join(work, 'app', 'registry.htpasswd'), 'utf8')).toBe(htpasswd);
    expect((await readdir(join(work, 'app'))).filter((name) => name.startsWith('registry.htpasswd'))).toEqual(['registry.htpasswd']);
  }, 180_000);

  it('starts again with the app when Settings say so, with the same address, user and store', async () => {
    const before = await service['settings:get']({});
    expect(before.serve).toBeDefined();
    await service['settings:save']({ ...before, serve: { ...before.serve, startWithApp: true } as NonNullable<typeof before.serve> });
    const second = teardown.add(createService({ mode: 'browser', catalogPath: join(work, 'app', 'catalog.sqlite') }), (started) => started.close());
    await second.registryStarted();
    const status = await second['serve:status']({});
    expect(status.problem).toBeNull();
    expect(status.registry).toMatchObject({ address: `127.0.0.1:${String(before.serve?.port)}`, user: USER, storage: before.serve?.storage });
    expect(status.stats?.images).toBeGreaterThanOrEqual(1);
    // The hash from the first start still admits the user.
    const test = await second['registry:test']({ registry: status.registry?.address ?? '', access: { caCertFiles: [status.registry?.caFile ?? ''], username: USER, password: PASSWORD } });
    expect(test.ok, test.message).toBe(true);
    await second.close();
    expect((await second['serve:status']({})).running).toBe(false);
  }, 120_000);
});
