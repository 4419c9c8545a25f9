/**
 * The app's registry tells its log what `ferry serve` prints: a server
 * fault's cause (a 500 the client is only told to look up in the server
 * log) and the operator's warnings, through the service's `log` option
 * (standard error, the Electron main process's output, by default). The
 * fault is real: a tag link the store holds as a folder fails to read with
 * EISDIR. No line carries the login.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createService, type Service } from '../../src-main/service.ts';
import { emptyAuthFile } from '../harness/ferry-access.ts';
import { Teardown } from '../harness/teardown.ts';

const USER = 'site-admin';
/** A test-only password for a registry this test starts and stops. */
const PASSWORD = 'log-test-password-8e2d';

const teardown = new Teardown();
let work = '';
let service: Service;
const lines: string[] = [];

beforeAll(async () => {
  work = teardown.add(await mkdtemp(join(tmpdir(), 'ferry-service-serve-log-')), (dir) => rm(dir, { recursive: true, force: true }));
  process.env.XDG_DATA_HOME = join(work, 'data');
  process.env.REGISTRY_AUTH_FILE = emptyAuthFile;
  service = teardown.add(createService({ mode: 'browser', catalogPath: join(work, 'app', 'catalog.sqlite'), autoStartRegistry: false, log: (line) => lines.push(line) }), (started) => started.close());
});

afterAll(() => teardown.run());

describe("the app's registry log", () => {
  it('logs a warning at start and the cause of a 500, never the login', async () => {
    const storage = join(work, 'store');
    // Every interface, plain HTTP, with a user: the login would cross the network in clear text, which the operator must hear about.
    const running = await service['serve:start']({ storage, port: 0, tls: false, listen: '0.0.0.0', user: { name: USER, password: PASSWORD } });
    expect(lines.some((line) => /^ferry registry: warning: logins to .* cross the network in clear text over plain HTTP/.test(line))).toBe(true);

    await mkdir(join(storage, 'repositories', 'app', 'broken', '_manifests', 'tags', 'v1', 'link'), { recursive: true });
    const authorization = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;
    const port = new URL(running.url).port;
    const response = await fetch(`http://127.0.0.1:${port}/v2/app/broken/manifests/v1?token=query-secret`, { headers: { authorization } });
    await response.arrayBuffer();
    expect(response.status).toBe(500);
    for (let i = 0; i < 100 && !lines.some((line) => line.includes('error:')); i++) await new Promise((r) => setTimeout(r, 50));
    expect(lines).toContainEqual(expect.stringMatching(/^ferry registry: error: GET \/v2\/app\/broken\/manifests\/v1: .*(EISDIR|directory)/));
    expect((await service['serve:stop']({})).stopped).toBe(true);
    const all = lines.join('\n');
    for (const secret of [PASSWORD, authorization.slice(6), 'query-secret']) expect(all).not.toContain(secret);
  });
});
