/**
 * How the site policy spells registry names (docs/trust.md "Site policy"): one
 * normal form for a `registry/repository` name or pattern, applied to policy
 * entries and to image sources alike, so matching cannot be dodged by writing
 * the same registry another way.
 */
import { DOCKER_HUB } from '../oci/reference.ts';

/** Other names of Docker Hub's registry, as parseReference folds them. */
const DOCKER_HUB_ALIASES: ReadonlySet<string> = new Set(['index.docker.io', 'registry-1.docker.io']);

/**
 * One spelling of a `registry/repository` name (or pattern), so a policy entry
 * and a source compare as the registry sees them: the host lowercased (hosts
 * are case-insensitive), a default `:443` dropped, Docker Hub's other names
 * folded into `docker.io` and its short names given `library/`. Without it
 * `Quay.IO/evil/img` or `quay.io:443/evil/img` would escape `quay.io/evil/**`,
 * and `docker.io/nginx` would never block `docker.io/library/nginx`.
 */
export function normaliseRepositoryName(name: string): string {
  const slash = name.indexOf('/');
  if (slash < 0) return name;
  let registry = name.slice(0, slash).toLowerCase();
  const path = name.slice(slash + 1);
  if (registry.endsWith(':443')) registry = registry.slice(0, -':443'.length);
  if (DOCKER_HUB_ALIASES.has(registry)) registry = DOCKER_HUB;
  const library = registry === DOCKER_HUB && !path.includes('/') && !path.includes('**') ? 'library/' : '';
  return `${registry}/${library}${path}`;
}
