/**
 * Writes every mirror-configuration format into one folder for
 * `ferry import --mirror-config DIR` and the UI.
 */
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { FerryError } from '../../src-shared/errors.ts';
import { writeFileDurable } from '../base/durable-write.ts';
import { containerdHostsToml } from './containerd.ts';
import type { MirrorConfigOptions, RepositoryMapping } from './mapping.ts';
import { imageContentSourcePolicy, imageDigestMirrorSet, imageTagMirrorSet } from './openshift.ts';
import { renderClusterResources, type ClusterResourcesInput } from './openshift-resources.ts';
import { registriesConf } from './registries-conf.ts';

/**
 * Renders all formats first and writes only when every one succeeded, so a
 * failure leaves no half-written folder; each file is written durably (temp
 * file, fsync, rename), so a file from an earlier run is replaced whole or
 * left as it was, never truncated in place. containerd hosts that cannot be
 * expressed are listed in `containerd/SKIPPED.txt` instead. With `resources`,
 * the OpenShift cluster resources (openshift-resources.ts: CatalogSource and
 * ClusterCatalog per catalog, release-signature ConfigMaps under
 * `openshift/release-signatures/`, the UpdateService) are rendered with the
 * rest and written in the same pass. Returns the written paths relative to
 * `dir`, with "/" separators.
 */
export async function writeMirrorConfig(dir: string, mappings: readonly RepositoryMapping[], options: MirrorConfigOptions, resources?: ClusterResourcesInput): Promise<string[]> {
  const files = new Map<string, string>([
    ['registries.conf.d/99-ferry-mirror.conf', registriesConf(mappings, options)],
    ['openshift/imagedigestmirrorset.yaml', imageDigestMirrorSet(mappings, options)],
    ['openshift/imagetagmirrorset.yaml', imageTagMirrorSet(mappings, options)],
    ['openshift/imagecontentsourcepolicy.yaml', imageContentSourcePolicy(mappings, options)],
  ]);
  // containerd mirrors whole hosts: a host whose repositories move to different paths (an OpenShift release) cannot be expressed there.
  const skipped: string[] = [];
  for (const [path, text] of containerdHostsToml(mappings, options, skipped)) files.set(`containerd/${path}`, text);
  if (skipped.length > 0)
    files.set('containerd/SKIPPED.txt', `Ferry wrote no hosts.toml for these source hosts:\n${skipped.map((s) => `- ${s}`).join('\n')}\nUse registries.conf or the OpenShift objects for them.\n`);
  if (resources) for (const [path, text] of renderClusterResources(resources, options)) files.set(path, text);

  const written: string[] = [];
  for (const [relative, text] of files) {
    const target = join(dir, ...relative.split('/'));
    try {
      await mkdir(dirname(target), { recursive: true });
      await writeFileDurable(target, text);
    } catch (caught) {
      // writeFileDurable wraps the OS error; the message names its errno code.
      const error = caught instanceof FerryError ? caught.cause : caught;
      const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
      throw new FerryError('IO_ERROR', `could not write mirror configuration file ${target}${code === undefined ? '' : ` (${code})`}`, { path: target, written }, { cause: error });
    }
    written.push(relative);
  }
  return written;
}
