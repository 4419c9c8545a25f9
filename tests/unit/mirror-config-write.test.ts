/**
 * writeMirrorConfig replaces the files of an earlier run durably: each file is
 * a new file renamed into place, never the old one truncated and rewritten,
 * so a crash midway leaves every file either old or new and complete. Files
 * an earlier run wrote that the new one does not are removed (`oc apply -f`
 * on the folder would apply them again); a file Ferry did not write stays.
 */
import { link, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MirrorConfigOptions, RepositoryMapping } from '../../src-main/mirror-config/mapping.ts';
import type { ClusterResourcesInput } from '../../src-main/mirror-config/openshift-resources.ts';
import { registriesConf } from '../../src-main/mirror-config/registries-conf.ts';
import { GENERATED_BY } from '../../src-main/mirror-config/stringify.ts';
import { writeMirrorConfig } from '../../src-main/mirror-config/write.ts';

const options: MirrorConfigOptions = { mirrorRegistry: 'mirror.local:5000/ocp' };
const mappings: RepositoryMapping[] = [{ source: 'docker.io/library/nginx', mirror: 'mirror.local:5000/ocp/library/nginx' }];

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'ferry-mirror-write-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Every file under `dir`, relative, with "/" separators. */
async function tree(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) =>
      join(entry.parentPath, entry.name)
        .slice(dir.length + 1)
        .split('\\')
        .join('/'),
    )
    .sort();
}

describe('writeMirrorConfig writes atomically', () => {
  it('replaces an existing file with a new one instead of truncating it in place, and leaves no temp file', async () => {
    const dir = join(root, 'config');
    const target = join(dir, 'registries.conf.d', '99-ferry-mirror.conf');
    await mkdir(join(dir, 'registries.conf.d'), { recursive: true });
    await writeFile(target, 'old mirror configuration\n');
    // A hard link sees any in-place write to the old file; a rename leaves it alone.
    const witness = join(root, 'witness.conf');
    await link(target, witness);
    const before = await stat(target);

    const { written } = await writeMirrorConfig(dir, mappings, options);

    expect(await readFile(target, 'utf8')).toBe(registriesConf(mappings, options));
    expect((await stat(target)).ino).not.toBe(before.ino);
    expect(await readFile(witness, 'utf8')).toBe('old mirror configuration\n');
    expect(await tree(dir)).toEqual([...written].sort());
  });
});

describe('writeMirrorConfig removes what an earlier run wrote and this one does not', () => {
  const digest = `sha256:${'c'.repeat(64)}`;
  const release = 'd'.repeat(64);
  const resources: ClusterResourcesInput = {
    catalogs: [{ source: 'registry.redhat.io/redhat/redhat-operator-index:v4.18', image: `mirror.local:5000/ocp/redhat/redhat-operator-index@${digest}` }],
    signatures: [{ key: `sha256-${release}-1`, bytes: Buffer.from('signature'), release: '4.16.12-x86_64' }],
    updateService: { graphImage: `mirror.local:5000/ocp/openshift/graph-image@${digest}`, releases: 'mirror.local:5000/ocp/openshift/release-images' },
  };

  it("removes the earlier run's cluster resources and containerd hosts, and leaves every file Ferry did not write", async () => {
    const dir = join(root, 'config');
    const first = await writeMirrorConfig(dir, mappings, options, resources);
    expect(first.removed).toEqual([]);
    // The user's own files, beside and among Ferry's: no header, the header not first, a link to a Ferry file.
    const own = {
      'openshift/my-catalog.yaml': 'kind: CatalogSource\n',
      'openshift/release-signatures/README.txt': `see below\n# ${GENERATED_BY}\n`,
      'containerd/certs.d/docker.io/ca.crt': 'certificate\n',
      'notes.yaml': `# ${GENERATED_BY}\nkept: outside the folders Ferry writes\n`,
    };
    for (const [path, text] of Object.entries(own)) await writeFile(join(dir, ...path.split('/')), text);
    await symlink(join(dir, 'openshift', 'updateservice.yaml'), join(dir, 'openshift', 'linked.yaml'));

    const second = await writeMirrorConfig(dir, [{ source: 'quay.io/a/b', mirror: 'mirror.local:5000/ocp/a/b' }], options);

    expect(second.removed).toEqual([
      'containerd/certs.d/docker.io/hosts.toml',
      'openshift/cc-redhat-operator-index-v4-18.yaml',
      'openshift/cs-redhat-operator-index-v4-18.yaml',
      `openshift/release-signatures/sha256-${release}.yaml`,
      'openshift/updateservice.yaml',
    ]);
    expect(first.written.filter((path) => !second.written.includes(path)).sort()).toEqual(second.removed);
    expect(await tree(dir)).toEqual([...second.written, ...Object.keys(own)].sort());
    for (const [path, text] of Object.entries(own)) expect(await readFile(join(dir, ...path.split('/')), 'utf8')).toBe(text);
    expect((await readdir(join(dir, 'openshift'))).sort()).toContain('linked.yaml');
  });

  it('removes a folder the removal emptied, and nothing when the same set is written again', async () => {
    const dir = join(root, 'again');
    await writeMirrorConfig(dir, mappings, options, resources);
    expect((await writeMirrorConfig(dir, mappings, options, resources)).removed).toEqual([]);
    const { removed } = await writeMirrorConfig(dir, [{ source: 'quay.io/a/b', mirror: 'mirror.local:5000/ocp/a/b' }], options);
    expect(removed).toContain('containerd/certs.d/docker.io/hosts.toml');
    await expect(readdir(join(dir, 'containerd', 'certs.d', 'docker.io'))).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(readdir(join(dir, 'openshift', 'release-signatures'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
