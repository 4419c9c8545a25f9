/**
 * Deckhouse Kubernetes Platform registry settings for a mirror that holds a
 * Deckhouse edition (a `deckhouse:` section's edition root lands at the
 * import prefix itself, see sources/deckhouse.ts):
 * - `deckhouse/init-configuration.yaml`: dhctl's InitConfiguration fragment for
 *   a new install (`deckhouse.imagesRepo`, `registryDockerCfg` = base64 of a
 *   docker config.json, `registryScheme` HTTP|HTTPS, `registryCA` PEM);
 * - `deckhouse/module-source.yaml`: the ModuleSource modules are pulled from,
 *   `spec.registry` {repo, scheme, dockerCfg, ca} as d8 declares it
 *   (deckhouse-cli internal/mirror/api/v1alpha1/module_source.go).
 * The header of each names the `d8-system/deckhouse-registry` Secret fields
 * (address, path, scheme, ca) a running cluster keeps, which `d8 status` reads.
 * dockerCfg is always anonymous (`{"auths":{"<host>":{}}}`): the job's login
 * pushed the images and must not land in a cluster object; the header gives
 * the command that makes the value for a pull-only user.
 */
import { groupMappings, mirrorRegistryParts, type MirrorConfigOptions, type RepositoryMapping } from './mapping.ts';
import { GENERATED_BY, yamlText } from './stringify.ts';

/** The Deckhouse registry settings for the mirror, or an empty map when no Deckhouse edition root was imported. */
export function deckhouseFiles(mappings: readonly RepositoryMapping[], options: MirrorConfigOptions): Map<string, string> {
  const files = new Map<string, string>();
  const { registry, prefix } = mirrorRegistryParts(options);
  const imagesRepo = `${registry}/${prefix}`;
  if (prefix === '' || !groupMappings(mappings, options).some((group) => group.mirrors.includes(imagesRepo))) return files;
  // Deckhouse has no "skip verification" setting: anything but plain HTTP is HTTPS, checked against registryCA or the system roots.
  const scheme = options.transport === 'http' ? 'HTTP' : 'HTTPS';
  const dockerCfg = Buffer.from(JSON.stringify({ auths: { [registry]: {} } })).toString('base64');
  const notes = [
    `Deckhouse's d8-system/deckhouse-registry Secret then holds address: ${registry}, path: /${prefix}, scheme: ${scheme.toLowerCase()}${options.caPem !== undefined ? ', ca: the PEM below' : ''}.`,
    ...(options.transport === 'https-skip-verify'
      ? ["RISK: the import ran with --tls-verify=false; Deckhouse always verifies TLS, so give Ferry the mirror's CA (--mirror-ca FILE) or nodes will refuse the mirror."]
      : []),
    ...pullLoginLines(registry),
  ];
  const init: Record<string, unknown> = { imagesRepo, registryDockerCfg: dockerCfg, registryScheme: scheme };
  if (options.caPem !== undefined && scheme === 'HTTPS') init.registryCA = options.caPem;
  files.set(
    'deckhouse/init-configuration.yaml',
    yamlText({ apiVersion: 'deckhouse.io/v1', kind: 'InitConfiguration', deckhouse: init }, [
      GENERATED_BY,
      `Registry settings for installing Deckhouse from the mirror ${imagesRepo}: merge the deckhouse: fields into`,
      'the InitConfiguration of the config.yml given to dhctl bootstrap (or d8 platform install).',
      ...notes,
    ]),
  );
  const registrySpec: Record<string, unknown> = { repo: `${imagesRepo}/modules`, scheme, dockerCfg };
  if (options.caPem !== undefined && scheme === 'HTTPS') registrySpec.ca = options.caPem;
  files.set(
    'deckhouse/module-source.yaml',
    yamlText({ apiVersion: 'deckhouse.io/v1alpha1', kind: 'ModuleSource', metadata: { name: 'deckhouse' }, spec: { registry: registrySpec } }, [
      GENERATED_BY,
      `Where a Deckhouse cluster pulls its modules from: the mirror ${imagesRepo}/modules.`,
      'Apply with: d8 k apply -f <this file>',
      ...notes,
    ]),
  );
  return files;
}

/**
 * The header lines saying how to replace the anonymous dockerCfg with a
 * pull-only login: one POSIX command printing the base64 value Deckhouse
 * expects (base64 of a docker config.json whose auth is base64 of USER:PASS).
 */
function pullLoginLines(registry: string): string[] {
  return [
    `dockerCfg below is anonymous (base64 of {"auths":{"${registry}":{}}}); Ferry never writes the login the import pushed with.`,
    `If ${registry} requires a login, replace the value with the output of (PULL-ONLY user; keep the edited file private):`,
    `  printf '{"auths":{"%s":{"auth":"%s"}}}' '${registry}' "$(printf %s 'USER:PASSWORD' | base64 -w0)" | base64 -w0`,
  ];
}
