import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyAuthFile } from '../harness/ferry-access.ts';
import { buildFixtures, seedFixtures, type FixtureImage, type FixtureName } from '../harness/fixtures.ts';
import { startRegistry, type RunningRegistry } from '../harness/registry.ts';
import { Teardown } from '../harness/teardown.ts';
import { skopeoCopy } from '../harness/skopeo.ts';
import { runFerry } from '../harness/test-helpers.ts';

let source: RunningRegistry;
let fixtures: Record<FixtureName, FixtureImage>;
let work: string;
const flags = ['--plain-http', '--authfile', emptyAuthFile];

async function tag(from: FixtureName, to: string): Promise<void> {
  const image = fixtures[from];
  await skopeoCopy({ ref: `docker://${source.host}/${image.repository}:${image.tag}`, registry: source }, { ref: `docker://${source.host}/${to}`, registry: source });
}

const teardown = new Teardown();

beforeAll(async () => {
  source = teardown.add(await startRegistry({ mode: 'anonymous' }), (started) => started.stop());
  fixtures = await buildFixtures();
  await seedFixtures(source, [fixtures['oci-single'], fixtures['docker-schema2'], fixtures['empty-layer']]);
  for (const t of ['v1.2.0', 'v1.2.5', 'v1.3.1', 'v2.0.0', 'latest', 'nightly-2026-11-20']) await tag('empty-layer', `tools/cli:${t}`);
  work = await mkdtemp(join(tmpdir(), 'ferry-image-set-'));
});

afterAll(async () => {
  await teardown.run();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('ferry export --set', () => {
  it('resolves images, image lists and tag rules, saying which section brought each image', async () => {
    await writeFile(join(work, 'ket-1.6.txt'), `# KET seed-registry list\n${source.host}/${fixtures['docker-schema2'].repository}:v1\n`);
    const set = join(work, 'set.yaml');
    await writeFile(
      set,
      [
        'images:',
        `  - ${source.host}/${fixtures['oci-single'].repository}:v1`,
        'imageLists:',
        '  - ket-1.6.txt',
        'tags:',
        `  - repository: ${source.host}/tools/cli`,
        '    semver: ">=1.2.3 <2"',
        `  - repository: ${source.host}/tools/cli`,
        "    regex: '^nightly-'",
        '',
      ].join('\n'),
    );
    const result = await runFerry('export', '--to', join(work, 'never'), '--set', set, ...flags, '--dry-run', '--json');
    expect(result.code, result.stderr).toBe(0);
    const plan = JSON.parse(result.stdout) as { images: Array<{ name: string; section: string }> };
    expect(plan.images.map((i) => `${i.name.slice(source.host.length + 1)} [${i.section}]`).sort()).toEqual([
      `${fixtures['docker-schema2'].repository}:v1 [imageLists]`,
      `${fixtures['oci-single'].repository}:v1 [images]`,
      'tools/cli:nightly-2026-11-20 [tags]',
      'tools/cli:v1.2.5 [tags]',
      'tools/cli:v1.3.1 [tags]',
    ]);
  });

  it('an unknown section or a bad rule is refused by name', async () => {
    const set = join(work, 'bad.yaml');
    await writeFile(set, 'imagez:\n  - a\n');
    expect((await runFerry('export', '--to', join(work, 'never'), '--set', set, ...flags, '--dry-run')).stderr).toContain(`${set}:1:1: imagez is not a known section`);
    await writeFile(set, `tags:\n  - repository: ${source.host}/tools/cli\n`);
    expect((await runFerry('export', '--to', join(work, 'never'), '--set', set, ...flags, '--dry-run')).stderr).toContain(`${set}:2:5: tags[0] needs semver (a range) or regex`);
  });
});
