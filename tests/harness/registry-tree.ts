/**
 * Pushing generated images into a harness registry with Ferry's own registry
 * client (hundreds of tiny images in seconds, where one skopeo process per tag
 * would take a minute on 2 cores), pushing by digest as well as by tag, and
 * reading a registry back as a tree (repository → tag → digest) through the
 * distribution API, the way d8's e2e test compares source and target.
 */
import { readCapped } from '../../src-main/oci/registry/client.ts';
import { uploadBlob } from '../../src-main/oci/registry/uploads.ts';
import { headManifest, putManifest } from '../../src-main/oci/registry/manifests.ts';
import { listTags, nextLink } from '../../src-main/oci/registry/tags.ts';
import type { Content, Descriptor } from './fixture-content.ts';
import { registriesFor } from './ferry-access.ts';
import { mapLimit } from './fixtures.ts';
import type { RunningRegistry } from './registry.ts';

/** One manifest to push: under a tag, or (no tag) by its digest only, as registries hold component images. */
export interface TreePush {
  repository: string;
  tag?: string;
  descriptor: Descriptor;
}

/** A registry's content: repository → tag → manifest digest. */
export type RegistryTree = Map<string, Map<string, string>>;

/** Pushes every manifest with its config and layers, repositories in parallel, each blob once per repository. */
export async function pushTree(
  registry: RunningRegistry,
  pushes: readonly TreePush[],
  content: readonly Content[],
  options: { creds?: { username: string; password: string }; concurrency?: number } = {},
): Promise<void> {
  const blobs = new Map(content.map((c) => [c.digest, c]));
  const registries = registriesFor(registry, options.creds ? { creds: { ...options.creds, host: registry.host } } : {});
  try {
    const client = await registries.client(registry.host);
    // One upload per blob and repository, shared by every push that needs it (pushes run in parallel, within a repository too).
    const uploads = new Map<string, Promise<void>>();
    const upload = (repository: string, digest: string): Promise<void> => {
      const key = `${repository}@${digest}`;
      let pending = uploads.get(key);
      if (!pending) {
        const blob = blobs.get(digest);
        if (!blob) throw new Error(`fixture has no blob ${digest}`);
        pending = uploadBlob(client, repository, { digest: blob.digest, size: blob.size }, async function* () {
          yield blob.data;
        });
        uploads.set(key, pending);
      }
      return pending;
    };
    await mapLimit(pushes, options.concurrency ?? 16, async (p) => {
      const manifest = blobs.get(p.descriptor.digest);
      if (!manifest) throw new Error(`fixture has no manifest ${p.descriptor.digest}`);
      const parsed = JSON.parse(manifest.data.toString('utf8')) as { config: Descriptor; layers: Descriptor[] };
      await Promise.all([parsed.config, ...parsed.layers].map((child) => upload(p.repository, child.digest)));
      await putManifest(client, p.repository, p.tag ?? p.descriptor.digest, manifest.data, manifest.mediaType);
    });
  } finally {
    await registries.close();
  }
}

/** Every repository of the registry's catalog, every tag, and the digest each tag points at. */
export async function readTree(registry: RunningRegistry): Promise<RegistryTree> {
  const registries = registriesFor(registry);
  try {
    const client = await registries.client(registry.host);
    const repositories: string[] = [];
    for (let path: string | undefined = '/v2/_catalog?n=1000'; path !== undefined;) {
      const response = await client.send({ method: 'GET', path, scopes: [], expect: [200], subject: 'catalog' });
      repositories.push(...(JSON.parse((await readCapped(response.body, 16 * 1024 * 1024, 'catalog')).toString()) as { repositories: string[] }).repositories);
      path = nextLink(response.headers.link);
    }
    const tree: RegistryTree = new Map();
    for (const repository of repositories) {
      const tags = await listTags(client, repository).catch(() => [] as string[]);
      const byTag = new Map<string, string>();
      for (const tag of tags) {
        const head = await headManifest(client, repository, tag);
        if (head?.digest) byTag.set(tag, head.digest);
      }
      // The registry keeps a repository in its catalog after its tags are gone; an empty one holds nothing to compare.
      if (byTag.size > 0) tree.set(repository, byTag);
    }
    return tree;
  } finally {
    await registries.close();
  }
}

/** The tree as sorted `repository:tag@digest` lines, so two trees compare with one toEqual and a readable diff. */
export function treeLines(tree: RegistryTree): string[] {
  return [...tree].flatMap(([repository, tags]) => [...tags].map(([tag, digest]) => `${repository}:${tag}@${digest}`)).sort();
}
