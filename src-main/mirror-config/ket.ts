/**
 * The registry fields of a KET (Kismatic Enterprise Toolkit) plan file, as
 * KET's disconnected-upgrade guide names them (`docker_registry.address`,
 * `.port`, `.CA`, plus `.username`/`.password`): the site's registry is set in
 * the plan so KET pulls every image from it. The login is always written empty:
 * the job's own login pushed the images, and nodes need a pull-only one, which
 * the header says how to fill in — so no password ever reaches this file. `CA` is an absolute path on the
 * machine running KET; Ferry points it at `/etc/docker/certs.d/<host:port>/ca.crt`,
 * where the same guide has the CA copied so docker trusts the registry too.
 */
import { mirrorRegistryParts, splitHostPort, type MirrorConfigOptions } from './mapping.ts';
import { GENERATED_BY, yamlText } from './stringify.ts';
import { DOCKER_CERTS_DIR } from './trust-files.ts';

/** The ports a registry address without one is reached on, by scheme. */
const DEFAULT_PORTS = { http: 80, https: 443 } as const;

/** Splits `host[:port]` into KET's address and port fields. */
function addressAndPort(host: string, transport: MirrorConfigOptions['transport']): { address: string; port: number } {
  const parts = splitHostPort(host);
  if (parts.port !== undefined) return { address: parts.host, port: Number(parts.port) };
  return { address: host, port: transport === 'http' ? DEFAULT_PORTS.http : DEFAULT_PORTS.https };
}

/** `ket/plan-docker-registry.yaml`: the `docker_registry` section to merge into `kismatic-cluster.yaml`, with an empty login to fill in. */
export function ketPlanRegistry(options: MirrorConfigOptions): string {
  const { registry, prefix } = mirrorRegistryParts(options);
  const fields: Record<string, unknown> = { ...addressAndPort(registry, options.transport) };
  if (options.caPem !== undefined) fields.CA = `${DOCKER_CERTS_DIR}/${registry}/ca.crt`;
  fields.username = '';
  fields.password = '';
  return yamlText({ docker_registry: fields }, [
    GENERATED_BY,
    `The docker_registry section of a KET plan file (kismatic-cluster.yaml) for the mirror ${registry}.`,
    'Merge it into the plan, then run the install or upgrade; empty username and password mean anonymous access.',
    `If ${registry} requires a login: set username and password to a PULL-ONLY user of ${registry} in kismatic-cluster.yaml`,
    '(Ferry never writes the login the import pushed with), and keep that plan file private.',
    ...(options.caPem !== undefined ? [`Copy certs.d/${registry}/ca.crt to the CA path below first (KET reads it from there).`] : []),
    'KET releases that replaced address and port with one field take server: "<address>:<port>" instead.',
    ...(prefix !== '' ? [`The import placed images under ${registry}/${prefix}/; KET looks for them at the registry root, so import with no prefix for KET.`] : []),
    ...(options.transport === 'http' ? ['The mirror speaks plain HTTP: docker on every node must list it under insecure-registries.'] : []),
    ...(options.transport === 'https-skip-verify' ? ["RISK: the import ran with --tls-verify=false, so the mirror's certificate was never checked; give Ferry the CA (--mirror-ca FILE)."] : []),
  ]);
}
