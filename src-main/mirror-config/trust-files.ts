/**
 * The files that make nodes trust a mirror whose certificate a private CA
 * signed, in the layout each consumer reads:
 * - `certs.d/<host:port>/ca.crt`: Docker (`/etc/docker/certs.d`), Podman, CRI-O
 *   and skopeo (`/etc/containers/certs.d`), docs:
 *   https://github.com/containers/image/blob/main/docs/containers-certs.d.5.md
 * - `containerd/certs.d/<host_port_>/ca.crt`: containerd's own folder name for
 *   the mirror host, which each source host's hosts.toml references with
 *   `ca = "../<host_port_>/ca.crt"` (see containerd.ts);
 * - `openshift/additional-trusted-ca.yaml`: the ConfigMap in `openshift-config`
 *   keyed `<host>..<port>` that `image.config.openshift.io/cluster`'s
 *   `spec.additionalTrustedCA` names, with the `oc patch` command in its header
 *   (OpenShift "Configuring additional trust stores for image registry access").
 */
import { FerryError } from '../../src-shared/errors.ts';
import { hostFolder } from './containerd.ts';
import { mirrorRegistryParts, objectName, splitHostPort, type MirrorConfigOptions } from './mapping.ts';
import { GENERATED_BY, yamlText } from './stringify.ts';

/** Where Docker reads per-registry CAs; containers/image reads /etc/containers/certs.d the same way. */
export const DOCKER_CERTS_DIR = '/etc/docker/certs.d';
/** Where Podman, CRI-O and skopeo read per-registry CAs. */
export const CONTAINERS_CERTS_DIR = '/etc/containers/certs.d';
/** ConfigMap keys allowed by the API server (IsConfigMapKey). */
const CONFIG_MAP_KEY = /^[-._a-zA-Z0-9]+$/;

/** The ConfigMap's metadata.name: the mirror objects' name plus `-ca`, so re-applying replaces Ferry's own ConfigMap. */
export function trustedCaConfigMapName(options: MirrorConfigOptions): string {
  return `${objectName(options)}-ca`;
}

/** The additionalTrustedCA key of a registry host: `host..port` (a ":" cannot appear in a ConfigMap key), or the host alone. */
export function trustedCaKey(host: string): string {
  const parts = splitHostPort(host);
  const key = parts.port === undefined ? host : `${parts.host}..${parts.port}`;
  if (!CONFIG_MAP_KEY.test(key)) {
    throw new FerryError('INVALID_ARGUMENT', `the mirror host "${host}" cannot be an OpenShift additionalTrustedCA key (letters, digits, "-", "." and "_" only)`, { host });
  }
  return key;
}

/** The `oc patch` that points the cluster's image configuration at the ConfigMap, as one copyable line. */
export function additionalTrustedCaPatch(options: MirrorConfigOptions): string {
  const patch = JSON.stringify({ spec: { additionalTrustedCA: { name: trustedCaConfigMapName(options) } } });
  return `oc patch image.config.openshift.io/cluster --type=merge --patch '${patch}'`;
}

/** A PEM file under Ferry's comment header: Go's PEM reader (Docker, containerd, containers/image) skips text before the first block. */
function caFile(pem: string, lines: readonly string[]): string {
  return `${[GENERATED_BY, ...lines].map((line) => `# ${line}`).join('\n')}\n${pem}`;
}

function configMap(host: string, pem: string, options: MirrorConfigOptions): string {
  const name = trustedCaConfigMapName(options);
  const object = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'openshift-config' }, data: { [trustedCaKey(host)]: pem } };
  return yamlText(object, [
    GENERATED_BY,
    `The CA of the mirror ${host}, for image.config.openshift.io/cluster spec.additionalTrustedCA.`,
    'Apply with: oc apply -f <this file>',
    `Then:       ${additionalTrustedCaPatch(options)}`,
    'The patch replaces any ConfigMap the cluster already names there; check first with',
    "  oc get image.config.openshift.io/cluster -o jsonpath='{.spec.additionalTrustedCA.name}'",
    `and if one is named, add the key ${trustedCaKey(host)} to that ConfigMap instead of patching.`,
  ]);
}

/** Every trust file for the mirror's CA, keyed by relative path ("/"-separated); empty without a CA. */
export function trustFiles(options: MirrorConfigOptions): Map<string, string> {
  const files = new Map<string, string>();
  if (options.caPem === undefined) return files;
  const host = mirrorRegistryParts(options).registry;
  files.set(
    `certs.d/${host}/ca.crt`,
    caFile(options.caPem, [`CA of the mirror ${host}. Install as ${DOCKER_CERTS_DIR}/${host}/ca.crt (Docker)`, `and ${CONTAINERS_CERTS_DIR}/${host}/ca.crt (Podman, CRI-O, skopeo).`]),
  );
  files.set(
    `containerd/certs.d/${hostFolder(host)}/ca.crt`,
    caFile(options.caPem, [`CA of the mirror ${host}, read by the hosts.toml files beside this folder (ca = "../${hostFolder(host)}/ca.crt").`]),
  );
  files.set('openshift/additional-trusted-ca.yaml', configMap(host, options.caPem, options));
  return files;
}
