/**
 * The mirror configuration as a real consumer reads it: skopeo (containers/image,
 * the library behind Podman, Buildah and CRI-O) given Ferry's registries.conf
 * pulls a digest of an unreachable source from the mirror, and still sends
 * tag pulls to the source (mirror-by-digest-only).
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registriesConf } from '../../src-main/mirror-config/registries-conf.ts';
import { buildFixtures, seedFixture, type FixtureImage } from '../harness/fixtures.ts';
import { startRegistry, type RunningRegistry } from '../harness/registry.ts';
import { Teardown } from '../harness/teardown.ts';

/** A source host that never resolves (RFC 2606 `.invalid`): only the mirror can answer for it. */
const SOURCE_HOST = 'ferry-source.invalid';

let mirror: RunningRegistry;
let fixture: FixtureImage;
let work: string;

/** `skopeo --registries-conf CONF inspect --raw` (a hidden global flag of skopeo 1.9; CONTAINERS_REGISTRIES_CONF is not read by it). */
function inspectRaw(reference: string, conf: string): Promise<{ ok: true; digest: string } | { ok: false; stderr: string }> {
  return new Promise((resolve) => {
    execFile('skopeo', ['--registries-conf', conf, 'inspect', '--raw', '--no-creds', reference], { encoding: 'buffer', timeout: 120_000 }, (error, stdout, stderr) => {
      if (error) resolve({ ok: false, stderr: stderr.toString('utf8') });
      else resolve({ ok: true, digest: `sha256:${createHash('sha256').update(stdout).digest('hex')}` });
    });
  });
}

const teardown = new Teardown();

beforeAll(async () => {
  mirror = teardown.add(await startRegistry({ mode: 'anonymous' }), (started) => started.stop());
  fixture = (await buildFixtures())['oci-single'];
  await seedFixture(mirror, fixture);
  work = await mkdtemp(join(tmpdir(), 'ferry-mirror-consumers-'));
});

afterAll(async () => {
  await teardown.run();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('registries.conf read by skopeo', () => {
  it('sends digest pulls of the source to the mirror, and tag pulls to the source', async () => {
    const source = `${SOURCE_HOST}/${fixture.repository}`;
    const conf = join(work, 'registries.conf');
    await writeFile(conf, registriesConf([{ source, mirror: `${mirror.host}/${fixture.repository}` }], { mirrorRegistry: mirror.host, transport: 'http' }));
    const byDigest = await inspectRaw(`docker://${source}@${fixture.manifestDigest}`, conf);
    expect(byDigest).toEqual({ ok: true, digest: fixture.manifestDigest });

    const tag = fixture.pushes[0]?.tag ?? 'v1';
    const byTag = await inspectRaw(`docker://${source}:${tag}`, conf);
    expect(byTag.ok).toBe(false);

    // Without Ferry's file the same digest pull cannot succeed: the test can fail.
    const empty = join(work, 'empty.conf');
    await writeFile(empty, '');
    expect((await inspectRaw(`docker://${source}@${fixture.manifestDigest}`, empty)).ok).toBe(false);
  });
});
