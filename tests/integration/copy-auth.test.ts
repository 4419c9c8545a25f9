import { afterAll, beforeAll, expect, it } from 'vitest';
import { runFerry } from '../harness/test-helpers.ts';
import { emptyAuthFile } from '../harness/ferry-access.ts';
import { buildFixtures, seedFixtures, type FixtureImage } from '../harness/fixtures.ts';
import { startRegistry, type RunningRegistry, type StartRegistryOptions } from '../harness/registry.ts';
import { Teardown } from '../harness/teardown.ts';
import { skopeoInspectRawDigest } from '../harness/skopeo.ts';

let tokenRegistry: RunningRegistry;
let basicRegistry: RunningRegistry;
let fixture: FixtureImage;

const teardown = new Teardown();

beforeAll(async () => {
  const started = async (options: StartRegistryOptions): Promise<RunningRegistry> => teardown.add(await startRegistry(options), (running) => running.stop());
  [tokenRegistry, basicRegistry] = await Promise.all([
    started({
      mode: 'token',
      users: [
        { username: 'seeder', password: 'seed-secret-0', access: { '*': ['pull', 'push'] } },
        { username: 'puller', password: 'pull-secret-1', access: { '*': ['pull'] } },
      ],
    }),
    started({ mode: 'tls-basic', users: [{ username: 'pusher', password: 'push-secret-2' }] }),
  ]);
  fixture = (await buildFixtures())['oci-index'];
  // Seeded by the first user (push rights); the copy then reads as the pull-only user.
  await seedFixtures(tokenRegistry, [fixture]);
});

afterAll(() => teardown.run());

it('copies from a token-auth registry to a TLS + basic-auth registry with --src-* and --dest-* flags, and never prints a secret', async () => {
  const { code, stdout, stderr } = await runFerry(
    'copy',
    `${tokenRegistry.host}/${fixture.repository}:${fixture.tag}`,
    `${basicRegistry.host}/mirrored/index:${fixture.tag}`,
    '--authfile',
    emptyAuthFile,
    '--src-plain-http',
    '--src-creds',
    'puller:pull-secret-1',
    '--dest-creds',
    'pusher:push-secret-2',
    '--dest-ca-cert',
    basicRegistry.caFile ?? '',
    '--json',
  );
  expect(stderr).not.toContain('secret');
  expect(stdout).not.toContain('secret');
  expect(code).toBe(0);
  expect(await skopeoInspectRawDigest(`docker://${basicRegistry.host}/mirrored/index:${fixture.tag}`, basicRegistry, { username: 'pusher', password: 'push-secret-2' })).toBe(fixture.manifestDigest);
});
