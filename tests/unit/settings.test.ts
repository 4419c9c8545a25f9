/**
 * Settings through the service, as the UI calls them: saved beside the
 * catalog, read back the same, and never a password in the file.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FerrySettings } from '../../src-shared/api/contract.ts';
import { createService, type Service } from '../../src-main/service.ts';

let dir: string;
let service: Service;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-settings-'));
  service = createService({ mode: 'browser', catalogPath: join(dir, 'data', 'catalog.sqlite') });
});

afterEach(async () => {
  await service.close();
  await rm(dir, { recursive: true, force: true });
});

const settings: FerrySettings = {
  registries: [
    { address: 'registry.local:5000', plainHttp: true, tlsVerify: false },
    { address: 'quay.example.com/mirror', plainHttp: false, tlsVerify: true, caCertFile: '/etc/pki/mirror-ca.pem', authFile: '/home/op/.config/containers/auth.json' },
  ],
  defaults: { archive: true, partSize: '4GiB' },
};

describe('settings:get and settings:save', () => {
  it('answers empty settings before the first save', async () => {
    expect(await service['settings:get']({})).toEqual({ registries: [], defaults: {} });
  });

  it('saves to settings.json beside the catalog and reads the same back', async () => {
    expect(await service['settings:save'](settings)).toEqual({ saved: true });
    expect(await service['settings:get']({})).toEqual(settings);
    const path = join(dir, 'data', 'settings.json');
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual(settings);
    if (process.platform !== 'win32') expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it('normalises addresses and empty paths', async () => {
    await service['settings:save']({ registries: [{ address: ' registry.local:5000/ ', plainHttp: false, tlsVerify: true, authFile: '  ' }], defaults: {} });
    expect(await service['settings:get']({})).toEqual({ registries: [{ address: 'registry.local:5000', plainHttp: false, tlsVerify: true }], defaults: {} });
  });

  const secret = 'hunter2-do-not-store';
  const refused: Array<[string, unknown]> = [
    ['a password in a registry entry', { registries: [{ address: 'r.example', plainHttp: false, tlsVerify: true, password: secret }], defaults: {} }],
    ['a password at the top', { registries: [], defaults: {}, password: secret }],
    ['a Password in the defaults', { registries: [], defaults: { Password: secret } }],
  ];
  it.each(refused)('refuses %s with INVALID_ARGUMENT, writes nothing and never echoes the value', async (_name, args) => {
    const error = await service.call('settings:save', args).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(JSON.stringify(error)).not.toContain(secret);
    expect((error as Error).message).not.toContain(secret);
    await expect(stat(join(dir, 'data', 'settings.json'))).rejects.toThrow();
  });

  const invalid: Array<[string, unknown]> = [
    ['a user name (credentials belong in the auth file)', { registries: [{ address: 'r.example', plainHttp: false, tlsVerify: true, username: 'op' }], defaults: {} }],
    ['a missing address', { registries: [{ plainHttp: false, tlsVerify: true }], defaults: {} }],
    ['an address with a scheme', { registries: [{ address: 'https://r.example', plainHttp: false, tlsVerify: true }], defaults: {} }],
    ['the same address twice', { registries: [{ address: 'r.example' }, { address: 'r.example/' }], defaults: {} }],
    ['a bad part size', { registries: [], defaults: { partSize: 'four gigs' } }],
    ['a non-boolean flag', { registries: [{ address: 'r.example', plainHttp: 'yes' }], defaults: {} }],
  ];
  it.each(invalid)('refuses %s', async (_name, args) => {
    await expect(service.call('settings:save', args)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('the file written holds no secret even after a refused save', async () => {
    await service['settings:save'](settings);
    await service.call('settings:save', { ...settings, registries: [{ ...settings.registries[0], password: secret }] }).catch(() => undefined);
    const text = await readFile(join(dir, 'data', 'settings.json'), 'utf8');
    expect(text).not.toMatch(/password|hunter2|username/i);
    expect(JSON.parse(text)).toEqual(settings);
  });
});

describe('a registry address that carries a login (issue 11, finding 8)', () => {
  const secret = 'pa55-in-address-93c1';
  const expectRefusedQuietly = (error: unknown): void => {
    expect(error).toMatchObject({ message: expect.stringMatching(/user name\/password/) });
    expect(JSON.stringify(error)).not.toContain(secret);
    expect((error as Error).message).not.toContain(secret);
  };
  const rejection = (promise: Promise<unknown>): Promise<unknown> =>
    promise.then(
      () => undefined,
      (e: unknown) => e,
    );

  it.each([`alice:${secret}@registry.local:5000`, `alice:${secret}@registry.local/mirror`, `${secret}@registry.local`])(
    'settings:save refuses %s without echoing it and writes nothing',
    async (address) => {
      const error = await rejection(service.call('settings:save', { registries: [{ address, plainHttp: false, tlsVerify: true }], defaults: {} }));
      expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', details: { argument: 'registries[0].address' } });
      expectRefusedQuietly(error);
      await expect(stat(join(dir, 'data', 'settings.json'))).rejects.toThrow();
    },
  );

  it('import, export, the connection test and a saved login refuse it before any job starts, and no job title or event holds it', async () => {
    const events: unknown[] = [];
    const off = service.on('job:state', (event) => events.push(event));
    const calls: Array<Promise<unknown>> = [
      service.call('import:run', { bundle: join(dir, 'bundle'), target: `alice:${secret}@registry.local:5000/site` }),
      service.call('import:inspect', { bundle: join(dir, 'bundle'), target: `alice:${secret}@registry.local:5000/site` }),
      service.call('export:run', { references: [`alice:${secret}@registry.local:5000/app:v1`], target: join(dir, 'out') }),
      service.call('registry:test', { registry: `alice:${secret}@registry.local:5000` }),
      service.call('credentials:save', { registry: `alice:${secret}@registry.local:5000`, username: 'alice', password: 'x' }),
    ];
    for (const call of calls) expectRefusedQuietly(await rejection(call));
    expect(JSON.stringify(await service['job:list']({}))).not.toContain(secret);
    expect(JSON.stringify(events)).not.toContain(secret);
    off();
  });
});
