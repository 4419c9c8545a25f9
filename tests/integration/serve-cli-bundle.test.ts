/**
 * startServe with `bundle` (what `ferry serve --bundle DIR --tls auto --user`
 * runs): a bundle Ferry exported is verified and served read-only over TLS
 * with the CA kept in the data folder; skopeo, trusting only that CA and
 * logging in, reads the exported image with its digest unchanged, and a push
 * is refused. The address is the first --name.
 */
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultDataFolder } from '../../src-main/base/data-folder.ts';
import { startServe, type ServeHandle } from '../../src-main/usecases/serve.ts';
import { emptyAuthFile } from '../harness/ferry-access.ts';
import { buildFixtures, seedFixtures, type FixtureImage } from '../harness/fixtures.ts';
import { startRegistry, type RunningRegistry } from '../harness/registry.ts';
import { runSkopeo, SkopeoError } from '../harness/skopeo.ts';
import { Teardown } from '../harness/teardown.ts';
import { runFerry } from '../harness/test-helpers.ts';

const USER = 'reader';
const PASSWORD = 'bundle-secret-93d1';
const teardown = new Teardown();
let source: RunningRegistry;
let fixture: FixtureImage;
let work = '';
let served: ServeHandle;
let certs = '';

beforeAll(async () => {
  work = teardown.add(await mkdtemp(join(tmpdir(), 'ferry-serve-cli-bundle-')), (dir) => rm(dir, { recursive: true, force: true }));
  source = teardown.add(await startRegistry({ mode: 'anonymous' }), (started) => started.stop());
  fixture = (await buildFixtures({ repositoryPrefix: 'bundled' }))['oci-index'];
  await seedFixtures(source, [fixture]);
  const list = join(work, 'images.txt');
  await writeFile(list, `${source.host}/${fixture.repository}:${fixture.tag}\n`);
  const bundle = join(work, 'bundle');
  const exported = await runFerry('export', '--to', bundle, '--images', list, '--plain-http', '--authfile', emptyAuthFile);
  if (exported.code !== 0) throw new Error(`export failed: ${exported.stderr}`);
  served = teardown.add(await startServe({ bundle, listen: { host: '127.0.0.1', port: 0 }, tls: { mode: 'auto', names: ['localhost'] }, user: { name: USER, password: PASSWORD } }), (handle) =>
    handle.close(),
  );
  certs = join(work, 'certs');
  await mkdir(certs);
  await copyFile(served.caFile ?? '', join(certs, 'ca.crt'));
});

afterAll(() => teardown.run());

describe('startServe with a bundle', () => {
  it('serves the verified bundle read-only over TLS auto, the CA in the data folder, at the first --name', () => {
    expect(served.readOnly).toBe(true);
    expect(served.storage).toBeUndefined();
    expect(served.caFile).toBe(join(defaultDataFolder(), 'serve-tls', 'ca.crt'));
    expect(served.address).toMatch(/^localhost:\d+$/);
    expect(served.url).toBe(`https://${served.address}`);
  });

  it('lets skopeo read the exported image with its digest unchanged, trusting only the CA', async () => {
    // 127.0.0.1 by address (the certificate names it too), so no resolver decides between ::1 and 127.0.0.1.
    const address = served.address.replace(/^localhost/, '127.0.0.1');
    const ref = `docker://${address}/${fixture.repository}:${fixture.tag}`;
    const anonymous = await runSkopeo(['inspect', '--raw', '--cert-dir', certs, '--no-creds', ref]).catch((error: unknown) => error);
    expect(anonymous).toBeInstanceOf(SkopeoError);
    const pulled = join(work, 'pulled');
    await runSkopeo(['copy', '--quiet', '--all', '--preserve-digests', '--src-cert-dir', certs, '--src-creds', `${USER}:${PASSWORD}`, ref, `oci:${pulled}:x`], [PASSWORD]);
    const index = await readFile(join(pulled, 'index.json'), 'utf8');
    expect((JSON.parse(index) as { manifests: Array<{ digest: string }> }).manifests[0]?.digest).toBe(fixture.manifestDigest);
    const push = await runSkopeo(
      ['copy', '--quiet', '--all', '--dest-cert-dir', certs, '--dest-creds', `${USER}:${PASSWORD}`, `oci:${pulled}:x`, `docker://${address}/other/image:v1`],
      [PASSWORD],
    ).catch((error: unknown) => error);
    expect(push).toBeInstanceOf(SkopeoError);
  });
});
