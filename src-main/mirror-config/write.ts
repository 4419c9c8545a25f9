/**
 * Writes every mirror-configuration format into one folder for
 * `ferry import --mirror-config DIR` and the UI.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { FerryError } from '../../src-shared/errors.ts';
import { containerdHostsToml } from './containerd.ts';
import type { MirrorConfigOptions, RepositoryMapping } from './mapping.ts';
import { imageContentSourcePolicy, imageDigestMirrorSet, imageTagMirrorSet } from './openshift.ts';
import { registriesConf } from './registries-conf.ts';

/**
 * Renders all formats first and writes only when every one succeeded, so an
 * unexpressible containerd host leaves no half-written folder. Returns the
 * written paths relative to `dir`, with "/" separators.
 */
export async function writeMirrorConfig(dir: string, mappings: readonly RepositoryMapping[], options: MirrorConfigOptions): Promise<string[]> {
  const files = new Map<string, string>([
    ['registries.conf.d/99-ferry-mirror.conf', registriesConf(mappings, options)],
    ['openshift/imagedigestmirrorset.yaml', imageDigestMirrorSet(mappings, options)],
    ['openshift/imagetagmirrorset.yaml', imageTagMirrorSet(mappings, options)],
    ['openshift/imagecontentsourcepolicy.yaml', imageContentSourcePolicy(mappings, options)],
  ]);
  for (const [path, text] of containerdHostsToml(mappings, options)) files.set(`containerd/${path}`, text);

  const written: string[] = [];
  for (const [relative, text] of files) {
    const target = join(dir, ...relative.split('/'));
    try {
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, text, 'utf8');
    } catch (error) {
      const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
      throw new FerryError('IO_ERROR', `could not write mirror configuration file ${target}${code === undefined ? '' : ` (${code})`}`, { path: target, written }, { cause: error });
    }
    written.push(relative);
  }
  return written;
}
