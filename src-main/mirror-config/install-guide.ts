/**
 * Where each mirror-configuration file goes and the command that applies it,
 * keyed by the relative path writeMirrorConfig returns, so the app can show
 * per file who reads it, its destination on a node or cluster, and one
 * command to run from inside the mirror-configuration folder; the CLI docs
 * say the same (docs/import.md).
 */
import { CONTAINERD_CERTS_DIR } from './containerd.ts';
import { DEFAULT_OBJECT_NAME } from './mapping.ts';
import { REGISTRIES_CONF_DROP_IN } from './registries-conf.ts';
import { CONTAINERS_CERTS_DIR, DOCKER_CERTS_DIR, additionalTrustedCaPatch, trustedCaConfigMapName } from './trust-files.ts';

/** One file's installation: who reads it, where it goes, and how to apply it. */
export interface InstallStep {
  /** The runtime or product that reads the file. */
  consumer: string;
  /** Where it goes: an absolute path on each node, or the cluster / plan it is applied to. */
  destination: string;
  /** A shell command run from the mirror-configuration folder (POSIX sh). */
  command: string;
}

/** What installGuide needs beyond the path: the OpenShift object name the import used (default DEFAULT_OBJECT_NAME). */
export interface InstallGuideOptions {
  name?: string;
}

/** Quotes a path for POSIX sh, so a host with odd characters never splits a command. */
function sh(path: string): string {
  return /^[\w./:@%+=,-]+$/.test(path) ? path : `'${path.replace(/'/g, `'\\''`)}'`;
}

/** `install -D` of one file, creating the folders on the way, as root. */
function install(relativePath: string, destination: string): string {
  return `sudo install -D -m 0644 ${sh(relativePath)} ${sh(destination)}`;
}

/** The registry host a certs.d folder stands for: `host:port`, or the portable `host_port_` spelling written where ":" is not allowed. */
function hostOfFolder(folder: string): string {
  const portable = /^(.+)_(\d+)_$/.exec(folder);
  return portable ? `${portable[1]}:${portable[2]}` : folder;
}

/**
 * Applies the CA ConfigMap, then points the cluster at it only when the
 * cluster names no other additionalTrustedCA ConfigMap (the patch would
 * replace it and drop the CAs it holds); otherwise it says what to do and
 * fails (`false`, never `exit`, so a person's shell stays open).
 */
function trustedCaCommand(relativePath: string, name: string): string {
  const configMap = trustedCaConfigMapName({ mirrorRegistry: '', name });
  const current = `current="$(oc get image.config.openshift.io/cluster -o jsonpath='{.spec.additionalTrustedCA.name}')"`;
  const refuse = `echo "the cluster already trusts the CAs of ConfigMap $current in openshift-config: add the data entry of ${relativePath} to it (oc -n openshift-config edit configmap $current) instead of patching" >&2; false`;
  return `oc apply -f ${sh(relativePath)} && ${current} && if [ -z "$current" ] || [ "$current" = ${configMap} ]; then ${additionalTrustedCaPatch({ mirrorRegistry: '', name })}; else ${refuse}; fi`;
}

/**
 * The install step of one file writeMirrorConfig wrote, by its relative path;
 * undefined for a file nobody installs (containerd/SKIPPED.txt) or one Ferry
 * did not write.
 */
export function installGuide(relativePath: string, options: InstallGuideOptions = {}): InstallStep | undefined {
  if (relativePath === 'registries.conf.d/99-ferry-mirror.conf') {
    return { consumer: 'Podman, CRI-O, Buildah, skopeo (containers-registries.conf)', destination: REGISTRIES_CONF_DROP_IN, command: install(relativePath, REGISTRIES_CONF_DROP_IN) };
  }
  const containerd = /^containerd\/certs\.d\/([^/]+)\/(hosts\.toml|ca\.crt)$/.exec(relativePath);
  if (containerd) {
    const destination = `${CONTAINERD_CERTS_DIR}/${containerd[1] ?? ''}/${containerd[2] ?? ''}`;
    // CRI reads the folder only when config_path names it; ctr and nerdctl take --hosts-dir.
    return { consumer: `containerd (CRI registry config_path = "${CONTAINERD_CERTS_DIR}")`, destination, command: install(relativePath, destination) };
  }
  const certs = /^certs\.d\/([^/]+)\/ca\.crt$/.exec(relativePath);
  if (certs) {
    const host = hostOfFolder(certs[1] ?? '');
    const docker = `${DOCKER_CERTS_DIR}/${host}/ca.crt`;
    const containers = `${CONTAINERS_CERTS_DIR}/${host}/ca.crt`;
    return { consumer: 'Docker, Podman, CRI-O, skopeo (certs.d)', destination: `${docker} and ${containers}`, command: `${install(relativePath, docker)} && ${install(relativePath, containers)}` };
  }
  if (relativePath === 'openshift/additional-trusted-ca.yaml') {
    return {
      consumer: 'OpenShift (image.config.openshift.io/cluster additionalTrustedCA)',
      destination: 'the cluster: ConfigMap in openshift-config',
      command: trustedCaCommand(relativePath, options.name ?? DEFAULT_OBJECT_NAME),
    };
  }
  if (/^openshift\/([^/]+|release-signatures\/[^/]+)\.yaml$/.test(relativePath)) {
    return { consumer: 'OpenShift', destination: 'the cluster', command: `oc apply -f ${sh(relativePath)}` };
  }
  if (relativePath === 'ket/plan-docker-registry.yaml') {
    return {
      consumer: 'KET (Kismatic) plan file',
      destination: 'the docker_registry section of kismatic-cluster.yaml',
      command: `cat ${relativePath}  # merge into kismatic-cluster.yaml, then run the install or upgrade`,
    };
  }
  if (relativePath === 'deckhouse/init-configuration.yaml') {
    return {
      consumer: 'Deckhouse installer (dhctl)',
      destination: 'the InitConfiguration in the config.yml given to dhctl bootstrap',
      command: `cat ${relativePath}  # merge the deckhouse: fields into the installer's config.yml`,
    };
  }
  if (relativePath === 'deckhouse/module-source.yaml') {
    return { consumer: 'Deckhouse Kubernetes Platform (ModuleSource)', destination: 'the cluster', command: `d8 k apply -f ${relativePath}` };
  }
  return undefined;
}
