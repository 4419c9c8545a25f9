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
import { GENERATED_BY, GENERATED_BY_PREFIX } from '../../src-main/mirror-config/stringify.ts';
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

describe('writeMirrorConfig removes only what Ferry could have written, and never through a symlink', () => {
  /** The header line Ferry wrote before its wording went neutral: files carrying it are still Ferry's. */
  const OLD_HEADER = '# Generated by Ferry from an import. Regenerate it with Ferry rather than editing it by hand.\n';

  it('refuses a top-level folder that is a symlink before writing anything, and leaves the files it points at', async () => {
    const dir = join(root, 'config');
    const outside = join(root, 'outside');
    await mkdir(dir, { recursive: true });
    await mkdir(outside);
    const theirs = join(outside, 'cs-other-cluster.yaml');
    await writeFile(theirs, `${OLD_HEADER}kind: CatalogSource\n`);
    await symlink('../outside', join(dir, 'openshift'));

    await expect(writeMirrorConfig(dir, mappings, options)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/openshift is a symbolic link/) });

    expect(await readFile(theirs, 'utf8')).toBe(`${OLD_HEADER}kind: CatalogSource\n`);
    expect(await readdir(outside)).toEqual(['cs-other-cluster.yaml']);
    expect(await readdir(dir)).toEqual(['openshift']);
  });

  it('does not search a linked host folder under containerd/certs.d, and leaves what it points at', async () => {
    const dir = join(root, 'config');
    const outside = join(root, 'outside');
    await mkdir(outside);
    await mkdir(join(dir, 'containerd', 'certs.d'), { recursive: true });
    await writeFile(join(outside, 'hosts.toml'), OLD_HEADER);
    await symlink(outside, join(dir, 'containerd', 'certs.d', 'quay.io'));

    const { removed } = await writeMirrorConfig(dir, mappings, options);

    expect(removed).toEqual([]);
    expect(await readFile(join(outside, 'hosts.toml'), 'utf8')).toBe(OLD_HEADER);
  });

  it("keeps the user's copy of a Ferry file under a name Ferry never writes, and recognises the old header wording", async () => {
    const dir = join(root, 'config');
    await writeMirrorConfig(dir, mappings, options);
    const idms = await readFile(join(dir, 'openshift', 'imagedigestmirrorset.yaml'), 'utf8');
    const own = { 'openshift/my-idms.yaml': idms, 'openshift/cs-notes.txt': `# ${GENERATED_BY}\n`, 'registries.conf.d/50-mine.conf': `# ${GENERATED_BY}\n` };
    for (const [path, text] of Object.entries(own)) await writeFile(join(dir, ...path.split('/')), text);
    await writeFile(join(dir, 'openshift', 'cs-old-catalog-v4-14.yaml'), `${OLD_HEADER}kind: CatalogSource\n`);

    const { removed, written } = await writeMirrorConfig(dir, mappings, options);

    expect(removed).toEqual(['openshift/cs-old-catalog-v4-14.yaml']);
    expect(await tree(dir)).toEqual([...written, ...Object.keys(own)].sort());
    for (const [path, text] of Object.entries(own)) expect(await readFile(join(dir, ...path.split('/')), 'utf8')).toBe(text);
  });

  it('words the header for an import and a set copy alike, under the prefix files are recognised by', () => {
    expect(GENERATED_BY.startsWith(`${GENERATED_BY_PREFIX}.`)).toBe(true);
    expect(GENERATED_BY).not.toMatch(/import/);
    expect(OLD_HEADER.startsWith(`# ${GENERATED_BY_PREFIX}`)).toBe(true);
  });
});
