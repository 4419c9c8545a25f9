/**
 * Issue 11, finding 6: a bundle is its id and the digest of its ferry.json.
 * A second bundle that carries a known id with another ferry.json (a consistent
 * bundle, so it passes verification) is refused before its first write,
 * recorded as a conflict in the catalog, and never merged into the earlier
 * bundle's row and links.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Catalog } from '../../src-main/catalog/index.ts';
import { emptyAuthFile } from '../harness/ferry-access.ts';
import { buildFixtures, seedFixtures, type FixtureImage, type FixtureName } from '../harness/fixtures.ts';
import { startRegistry, type RunningRegistry } from '../harness/registry.ts';
import { Teardown } from '../harness/teardown.ts';
import { runFerry } from '../harness/test-helpers.ts';

let source: RunningRegistry;
let site: RunningRegistry;
let fixtures: Record<FixtureName, FixtureImage>;
let work: string;
const teardown = new Teardown();
const plain = ['--plain-http', '--authfile', emptyAuthFile];

const refOf = (name: FixtureName): string => `${source.host}/${fixtures[name].repository}:${fixtures[name].tag}`;

beforeAll(async () => {
  source = teardown.add(await startRegistry({ mode: 'anonymous' }), (started) => started.stop());
  site = teardown.add(await startRegistry({ mode: 'anonymous' }), (started) => started.stop());
  fixtures = await buildFixtures();
  await seedFixtures(source, [fixtures['oci-single'], fixtures['docker-schema2']]);
  work = await mkdtemp(join(tmpdir(), 'ferry-bundle-conflict-'));
});

afterAll(async () => {
  await teardown.run();
  if (work) await rm(work, { recursive: true, force: true });
});

/** The repositories the site registry holds. */
async function repositories(): Promise<string[]> {
  const answer = (await (await fetch(`${site.url}/v2/_catalog`)).json()) as { repositories?: string[] };
  return [...(answer.repositories ?? [])].sort();
}

describe('a reused bundle id', () => {
  it('is refused before the first write, recorded as a conflict, and leaves the first bundle as it was', async () => {
    const first = join(work, 'first');
    const impostor = join(work, 'impostor');
    for (const [dir, name] of [
      [first, 'oci-single'],
      [impostor, 'docker-schema2'],
    ] as const) {
      const exported = await runFerry('export', '--to', dir, refOf(name), ...plain, '--catalog', join(work, 'connected.sqlite'));
      expect(exported.code, exported.stderr).toBe(0);
    }
    // The impostor takes the first bundle's id; the rest of it is consistent, so verification passes.
    const firstId = (JSON.parse(await readFile(join(first, 'ferry.json'), 'utf8')) as { bundleId: string }).bundleId;
    const text = await readFile(join(impostor, 'ferry.json'), 'utf8');
    const impostorId = (JSON.parse(text) as { bundleId: string }).bundleId;
    await writeFile(join(impostor, 'ferry.json'), text.replace(impostorId, firstId));
    expect((await runFerry('verify', impostor)).code).toBe(0);

    const catalogFile = join(work, 'site.sqlite');
    const imported = await runFerry('import', first, '--to', `${site.host}/mirror`, ...plain, '--catalog', catalogFile);
    expect(imported.code, imported.stderr).toBe(0);
    const before = await repositories();
    expect(before).toEqual([`mirror/${fixtures['oci-single'].repository}`]);

    for (const dryRun of [['--dry-run'], []]) {
      const refused = await runFerry('import', impostor, '--to', `${site.host}/mirror`, ...plain, '--catalog', catalogFile, '--json', ...dryRun);
      expect(refused.code).not.toBe(0);
      const error = (JSON.parse(refused.stdout) as { error: { code: string; message: string } }).error;
      expect(error.code).toBe('BUNDLE_CONFLICT');
      expect(error.message).toContain(firstId);
    }
    // Nothing of the impostor reached the registry, and the catalog still describes the first bundle only.
    expect(await repositories()).toEqual(before);
    const catalog = Catalog.open(catalogFile);
    try {
      expect(catalog.bundle(firstId)).toMatchObject({ path: first, direction: 'import' });
      expect(catalog.bundleImages(firstId).map((image) => image.repository)).toEqual([`${source.host}/${fixtures['oci-single'].repository}`]);
      expect(catalog.bundleConflicts().map((conflict) => ({ id: conflict.bundleId, path: conflict.path }))).toEqual([
        { id: firstId, path: impostor },
        { id: firstId, path: impostor },
      ]);
      expect(catalog.checkAudit().ok).toBe(true);
    } finally {
      catalog.close();
    }
    const listed = await runFerry('catalog', 'conflicts', '--catalog', catalogFile);
    expect(listed.stdout).toContain(impostor);

    // The first bundle itself is still welcome: importing it again is no conflict.
    const again = await runFerry('import', first, '--to', `${site.host}/mirror`, ...plain, '--catalog', catalogFile);
    expect(again.code, again.stderr).toBe(0);
  });
});
