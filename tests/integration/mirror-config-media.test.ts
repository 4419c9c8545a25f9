/**
 * Mirror configuration written onto a FAT32 stick (fusefat, as media.test.ts
 * mounts one): FAT32 cannot hold the ":" of Docker's `certs.d/<host:port>`
 * folder, so Ferry writes it as `certs.d/<host>_<port>_/` and the install
 * guide still names the real destination with the ":". Every other file is
 * written as on any disk, and a second run on the same stick removes nothing
 * it should keep.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installGuide } from '../../src-main/mirror-config/install-guide.ts';
import type { RepositoryMapping } from '../../src-main/mirror-config/mapping.ts';
import { writeMirrorConfig } from '../../src-main/mirror-config/write.ts';
import { mountFat32, type TestMount } from '../harness/mounts.ts';
import { makePki } from '../harness/pki.ts';
import { Teardown } from '../harness/teardown.ts';

const MiB = 1024 ** 2;
const teardown = new Teardown();
let mount: TestMount;
let caPem: string;

beforeAll(async () => {
  mount = teardown.add(await mountFat32(64 * MiB), (mounted) => mounted.unmount());
  caPem = (await makePki(mount.dir, 'site', 'server')).caCertPem;
}, 120_000);
afterAll(() => teardown.run());

describe('mirror configuration on FAT32', () => {
  it('writes the certs.d folder as host_port_ where ":" cannot be written, and the guide installs it under host:port', async () => {
    const dir = join(mount.dir, 'mirror-config');
    const mappings: RepositoryMapping[] = [{ source: 'quay.io/a/b', mirror: 'mirror.local:5000/site/a/b' }];
    const options = { mirrorRegistry: 'mirror.local:5000/site', caPem };
    const first = await writeMirrorConfig(dir, mappings, options);
    expect(first.written).toContain('certs.d/mirror.local_5000_/ca.crt');
    expect(first.written.filter((path) => path.includes(':'))).toEqual([]);
    expect(await readdir(join(dir, 'certs.d'))).toEqual(['mirror.local_5000_']);
    const ca = await readFile(join(dir, 'certs.d', 'mirror.local_5000_', 'ca.crt'), 'utf8');
    expect(ca).toContain('Install as /etc/docker/certs.d/mirror.local:5000/ca.crt');
    expect(ca).toContain(caPem.trim().split('\n')[1] ?? 'missing');
    expect(installGuide('certs.d/mirror.local_5000_/ca.crt')?.destination).toBe('/etc/docker/certs.d/mirror.local:5000/ca.crt and /etc/containers/certs.d/mirror.local:5000/ca.crt');
    // No probe file is left behind, and the same run again keeps every file.
    expect((await readdir(dir)).filter((name) => name.startsWith('.ferry'))).toEqual([]);
    const second = await writeMirrorConfig(dir, mappings, options);
    expect(second.removed).toEqual([]);
    expect([...second.written].sort()).toEqual([...first.written].sort());
  });
});
