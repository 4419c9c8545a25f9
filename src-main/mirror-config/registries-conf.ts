/**
 * containers-registries.conf(5) drop-in for Podman, Buildah, Skopeo and CRI-O:
 * https://github.com/containers/image/blob/main/docs/containers-registries.conf.5.md
 */
import { groupMappings } from './mapping.ts';
import type { MirrorConfigOptions, RepositoryMapping } from './mapping.ts';
import { GENERATED_BY, tomlText } from './stringify.ts';

/** Where the drop-in belongs on a node; a high number so it is read after (and wins over) distribution defaults. */
export const REGISTRIES_CONF_DROP_IN = '/etc/containers/registries.conf.d/99-ferry-mirror.conf';

/**
 * One `[[registry]]` table per source repository (`prefix` = `location` =
 * the source, so only that repository is redirected) with its mirrors as
 * `[[registry.mirror]]` in priority order. `mirror-by-digest-only = true`
 * because a bundle pins digests: a tag pull keeps going to the source, where
 * a moved tag cannot be silently answered by a stale mirror.
 */
export function registriesConf(mappings: readonly RepositoryMapping[], options: MirrorConfigOptions): string {
  const groups = groupMappings(mappings, options);
  const registry = groups.map((group) => ({
    prefix: group.source,
    location: group.source,
    'mirror-by-digest-only': true,
    mirror: group.mirrors.map((location) => (options.insecure === true ? { location, insecure: true } : { location })),
  }));
  return tomlText({ registry }, [GENERATED_BY, `Mirrors of ${groups.length} source repositories in ${options.mirrorRegistry}.`, `Install as ${REGISTRIES_CONF_DROP_IN}.`]);
}
