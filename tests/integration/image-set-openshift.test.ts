import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { emptyAuthFile } from '../harness/ferry-access.ts';
import { buildOpenShiftFixture, COMPONENTS_REPOSITORY, RELEASE_ARCH, RELEASE_REPOSITORY, RELEASE_VERSION, seedOpenShiftFixture, type OpenShiftFixture } from '../harness/openshift-fixture.ts';
import { startRegistry, type RunningRegistry } from '../harness/registry.ts';
import { Teardown } from '../harness/teardown.ts';
import { skopeoInspectRawDigest } from '../harness/skopeo.ts';
import { runFerry } from '../harness/test-helpers.ts';
import { sha256Digest } from '../../src-main/oci/digest.ts';

let source: RunningRegistry;
let site: RunningRegistry;
let fixture: OpenShiftFixture;
let work: string;
const flags = ['--plain-http', '--authfile', emptyAuthFile];

const teardown = new Teardown();

beforeAll(async () => {
  const anonymous = async (): Promise<RunningRegistry> => teardown.add(await startRegistry({ mode: 'anonymous' }), (started) => started.stop());
  [source, site] = await Promise.all([anonymous(), anonymous()]);
  fixture = await buildOpenShiftFixture(source.host);
  await seedOpenShiftFixture(source, fixture);
  work = await mkdtemp(join(tmpdir(), 'ferry-openshift-set-'));
});

afterAll(async () => {
  await teardown.run();
  if (work) await rm(work, { recursive: true, force: true });
});

it('export --set → import lands the release payload where oc adm release mirror would, and the IDMS maps both release repositories', async () => {
  const set = join(work, 'openshift.yaml');
  await writeFile(set, `openshift:\n  releases:\n    - ${source.host}/${RELEASE_REPOSITORY}:${RELEASE_VERSION}-${RELEASE_ARCH}\n`);
  const bundle = join(work, 'bundle');
  const exported = await runFerry('export', '--to', bundle, '--set', set, ...flags, '--json');
  expect(exported.code, exported.stderr).toBe(0);
  const mirror = join(work, 'mirror-config');
  const imported = await runFerry('import', bundle, '--to', `${site.host}/ocp`, ...flags, '--mirror-config', mirror, '--receipt', join(work, 'receipt.json'));
  expect(imported.code, imported.stderr).toBe(0);
  const tag = `${RELEASE_VERSION}-${RELEASE_ARCH}`;
  expect(await skopeoInspectRawDigest(`docker://${site.host}/ocp/openshift/release-images:${tag}`, site)).toBe(sha256Digest(fixture.release.manifest.data));
  expect(fixture.components.size).toBeGreaterThanOrEqual(12);
  for (const [name, image] of fixture.components) {
    expect(await skopeoInspectRawDigest(`docker://${site.host}/ocp/openshift/release:${tag}-${name}`, site), name).toBe(sha256Digest(image.manifest.data));
  }
  const idms = parse(await readFile(join(mirror, 'openshift', 'imagedigestmirrorset.yaml'), 'utf8')) as { spec: { imageDigestMirrors: Array<{ source: string; mirrors: string[] }> } };
  expect(idms.spec.imageDigestMirrors.map((m) => [m.source, m.mirrors])).toEqual(
    expect.arrayContaining([
      [`${source.host}/${RELEASE_REPOSITORY}`, [`${site.host}/ocp/openshift/release-images`]],
      [`${source.host}/${COMPONENTS_REPOSITORY}`, [`${site.host}/ocp/openshift/release`]],
    ]),
  );
});
