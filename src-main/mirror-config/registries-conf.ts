/**
 * containers-registries.conf(5) drop-in for Podman, Buildah, Skopeo and CRI-O:
 * https://github.com/containers/image/blob/main/docs/containers-registries.conf.5.md
 */
import { groupMappings, mirrorRegistryParts } from './mapping.ts';
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
  // `insecure = true` lets containers/image use plain HTTP or unverified TLS for that location (registries.conf(5), "insecure").
  const insecure = (options.transport ?? 'https') !== 'https';
  const registry = groups.map((group) => ({
    prefix: group.source,
    location: group.source,
    'mirror-by-digest-only': true,
    mirror: group.mirrors.map((location) => (insecure ? { location, insecure: true } : { location })),
  }));
  return tomlText({ registry }, [GENERATED_BY, `Mirrors of ${groups.length} source repositories in ${options.mirrorRegistry}.`, `Install as ${REGISTRIES_CONF_DROP_IN}.`, ...trustNote(options)]);
}

/** Header lines that say how the mirror is trusted; `insecure = true` covers both plain HTTP and unverified TLS, so the risk is spelled out. */
function trustNote(options: MirrorConfigOptions): string[] {
  const host = mirrorRegistryParts(options).registry;
  switch (options.transport ?? 'https') {
    case 'http':
      return ['insecure = true: the mirror speaks plain HTTP, so nothing it sends is encrypted.'];
    case 'https-skip-verify':
      return [
        "RISK: insecure = true, because the import ran with --tls-verify=false: the mirror's certificate is not",
        "checked, so any machine that can answer for the mirror's address can serve its own tag answers.",
        `Install its CA as /etc/containers/certs.d/${host}/ca.crt (Ferry writes certs.d/ with --mirror-ca FILE) and remove insecure.`,
      ];
    default:
      return options.caPem !== undefined ? [`The mirror's CA goes to /etc/containers/certs.d/${host}/ca.crt (certs.d/ in this folder).`] : [];
  }
}
