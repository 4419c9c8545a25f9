/**
 * The OpenShift cluster resources written beside the mirror configuration, so
 * a disconnected cluster can use what was mirrored, as oc-mirror v2's
 * internal/pkg/clusterresources lays them out: a CatalogSource (OLM v0) and a
 * ClusterCatalog (OLM v1) per operator catalog, pointing at the mirrored
 * catalog by digest; the release-signature ConfigMaps the cluster-version
 * operator verifies mirrored releases with; and an UpdateService (OpenShift
 * Update Service) over the mirrored graph data image and release images.
 * Every document goes through the `yaml` stringifier (stringify.ts).
 */
import { FerryError } from '../../src-shared/errors.ts';
import { sha256Digest } from '../oci/digest.ts';
import { RELEASE_SIGNATURE_KEY } from '../oci/openshift-artifacts.ts';
import { parseReference, parseRegistryPrefix, repositoryName } from '../oci/reference.ts';
import { checkMirror, compareText, type MirrorConfigOptions } from './mapping.ts';
import { GENERATED_BY, yamlText } from './stringify.ts';

/** What the cluster resources are made from; an import builds it from a verified bundle, `ferry copy --set` from its plan (shared interface 4). */
export interface ClusterResourcesInput {
  /** Every mirrored operator catalog: the catalog as the image set named it, and the mirrored image by digest (`host/repo@sha256:…`). */
  catalogs: Array<{ source: string; image: string }>;
  /** Release signatures: `key` is the ConfigMap binaryData key `sha256-<hex of the release digest>-<n>`, `release` its `<version>-<arch>`. */
  signatures: Array<{ key: string; bytes: Buffer; release: string }>;
  /** The mirrored graph data image by digest and the mirror repository of the release images, when `graph: true` carried one. */
  updateService?: { graphImage: string; releases: string };
}

/** Where OLM v0 looks for cluster-wide catalog sources. */
export const CATALOG_SOURCE_NAMESPACE = 'openshift-marketplace';
/** The namespace and label the cluster-version operator reads release signatures from (library-go verify/store/configmap). */
export const SIGNATURE_NAMESPACE = 'openshift-config-managed';
/** The label that marks a ConfigMap as holding release signatures; its value is empty. */
export const SIGNATURE_LABEL = 'release.openshift.io/verification-signatures';
/** The namespace the OpenShift Update Service operator is installed into by default (oc-mirror writes the same). */
export const UPDATE_SERVICE_NAMESPACE = 'openshift-update-service';
/** One fixed name, so importing again replaces Ferry's UpdateService instead of adding another. */
export const UPDATE_SERVICE_NAME = 'ferry-update-service';
/** Where the signature ConfigMaps are written under the mirror-configuration folder (one file per release digest, `oc apply -f` the folder). */
export const SIGNATURES_FOLDER = 'openshift/release-signatures';

/** A release's `<version>-<arch>`, a tag by the distribution grammar; it appears in comments only. */
const RELEASE_NAME = /^[\w][\w.-]{0,127}$/;
/** Characters oc-mirror's suffixes keep (its toRFC1035); everything else becomes "-". */
const NOT_LABEL_CHARACTER = /[^a-z0-9-]/g;
/** A Kubernetes DNS-1035 label: OLM makes a Service named after the CatalogSource, and Service names are such labels. */
const DNS_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
/** Longest DNS-1035 label. */
const LABEL_MAX_LENGTH = 63;
/** oc-mirror cuts the tag or digest in a catalog's name to this many characters. */
const SUFFIX_LENGTH = 12;
/** A ConfigMap's data may not exceed 1 MiB (the API server refuses bigger objects). */
const CONFIGMAP_MAX_BYTES = 1024 * 1024;

function invalid(message: string, details: Record<string, unknown>): FerryError {
  return new FerryError('INVALID_ARGUMENT', message, details);
}

/** Checks a mirrored image is `host/repository@digest` under the import target, so the object pulls exactly what was mirrored. */
function mirroredByDigest(image: string, what: string, options: MirrorConfigOptions): { repository: string; digest: string } {
  let reference;
  try {
    reference = parseReference(image);
  } catch (error) {
    throw invalid(`${what} "${image}" is not a valid image reference: ${error instanceof Error ? error.message : String(error)}`, { image });
  }
  if (reference.digest === undefined || reference.tag !== undefined) throw invalid(`${what} "${image}" must name the mirrored image by digest alone (host/repository@sha256:…)`, { image });
  const repository = checkMirror(repositoryName(reference));
  checkUnderTarget(repository, what, options);
  return { repository, digest: reference.digest };
}

/** Refuses a repository outside `options.mirrorRegistry` (catches input from another import), as the mirror mappings do. */
function checkUnderTarget(repository: string, what: string, options: MirrorConfigOptions): void {
  const { registry, prefix } = parseRegistryPrefix(options.mirrorRegistry);
  const under = prefix === '' ? `${registry}/` : `${registry}/${prefix}/`;
  if (!repository.startsWith(under)) throw invalid(`${what} "${repository}" is not under the mirror registry "${options.mirrorRegistry}"`, { repository, mirrorRegistry: options.mirrorRegistry });
}

/** oc-mirror's toRFC1035 over a tag or digest prefix: lowercase, anything else than letters, digits and "-" becomes "-". */
function labelCharacters(text: string): string {
  return text.toLowerCase().replace(NOT_LABEL_CHARACTER, '-');
}

/**
 * The name oc-mirror v2 gives a catalog's objects: `<prefix>-<last repository
 * component>-<suffix>`, the suffix the first 12 characters of the catalog's
 * tag (oc-mirror's destination keeps the source tag) or, for a catalog named
 * by digest alone, of the digest's hex; "." and other characters a label
 * cannot hold become "-". Ferry also shortens the repository part so the name
 * stays a 63-character DNS-1035 label (oc-mirror refuses longer ones).
 */
export function catalogObjectName(prefix: 'cs' | 'cc', source: string, mirrored: { repository: string; digest: string }): string {
  let tag: string | undefined;
  try {
    tag = parseReference(source).tag;
  } catch {
    tag = undefined;
  }
  // parseReference fills in `latest` only when neither tag nor digest is given; a catalog by digest keeps no tag.
  const suffixText = tag ?? mirrored.digest.slice(mirrored.digest.indexOf(':') + 1);
  const suffix = labelCharacters(suffixText.slice(0, SUFFIX_LENGTH)).replace(/-+$/, '') || '0';
  const repository = labelCharacters(mirrored.repository.slice(mirrored.repository.lastIndexOf('/') + 1));
  const room = LABEL_MAX_LENGTH - prefix.length - suffix.length - 2;
  const name = `${prefix}-${repository.slice(0, room).replace(/-+$/, '')}-${suffix}`;
  if (!DNS_LABEL.test(name)) throw invalid(`catalog "${source}" gives the object name "${name}", which is not a DNS-1035 label`, { source, name });
  return name;
}

/** One catalog with the names of its two objects, unique among all catalogs. */
interface NamedCatalog {
  source: string;
  image: string;
  catalogSource: string;
  clusterCatalog: string;
}

/**
 * Names every catalog's objects; two different mirrored images that would
 * share a name (same repository name and tag under different paths) each get
 * the first 8 hex characters of their reference's sha256 appended, so no
 * object replaces another. The same mirrored image listed twice is one catalog.
 */
function nameCatalogs(catalogs: ClusterResourcesInput['catalogs'], options: MirrorConfigOptions): NamedCatalog[] {
  const byImage = new Map<string, { source: string; image: string; mirrored: { repository: string; digest: string } }>();
  for (const catalog of catalogs) {
    const mirrored = mirroredByDigest(catalog.image, `the mirrored catalog of ${catalog.source}`, options);
    if (!byImage.has(catalog.image)) byImage.set(catalog.image, { ...catalog, mirrored });
  }
  const entries = [...byImage.values()].sort((a, b) => compareText(a.image, b.image));
  const base = entries.map((entry) => catalogObjectName('cs', entry.source, entry.mirrored));
  const named = entries.map((entry, index): NamedCatalog => {
    const name = base[index] ?? '';
    const shared = base.filter((other) => other === name).length > 1;
    const distinct = shared ? `-${sha256Digest(entry.image).slice('sha256:'.length, 'sha256:'.length + 8)}` : '';
    const shorten = (full: string): string => (full.length + distinct.length > LABEL_MAX_LENGTH ? full.slice(0, LABEL_MAX_LENGTH - distinct.length).replace(/-+$/, '') : full) + distinct;
    return { source: entry.source, image: entry.image, catalogSource: shorten(name), clusterCatalog: shorten(catalogObjectName('cc', entry.source, entry.mirrored)) };
  });
  const seen = new Set<string>();
  for (const entry of named) {
    if (seen.has(entry.catalogSource)) throw invalid(`two catalogs would both be named ${entry.catalogSource}`, { name: entry.catalogSource });
    seen.add(entry.catalogSource);
  }
  return named;
}

/** A CatalogSource (operators.coreos.com/v1alpha1) serving the mirrored catalog image over gRPC to OLM v0, as oc-mirror writes it. */
export function catalogSource(catalog: { source: string; image: string }, name: string): string {
  const object = {
    apiVersion: 'operators.coreos.com/v1alpha1',
    kind: 'CatalogSource',
    metadata: { name, namespace: CATALOG_SOURCE_NAMESPACE },
    spec: { sourceType: 'grpc', image: catalog.image },
  };
  return yamlText(object, [GENERATED_BY, `Operator catalog ${catalog.source}, mirrored by digest, for OLM (v0).`, 'Apply with: oc apply -f <this file>']);
}

/** A ClusterCatalog (olm.operatorframework.io/v1) serving the same mirrored catalog to OLM v1. */
export function clusterCatalog(catalog: { source: string; image: string }, name: string): string {
  const object = {
    apiVersion: 'olm.operatorframework.io/v1',
    kind: 'ClusterCatalog',
    metadata: { name },
    spec: { source: { type: 'Image', image: { ref: catalog.image } } },
  };
  return yamlText(object, [GENERATED_BY, `Operator catalog ${catalog.source}, mirrored by digest, for OLM v1.`, 'Apply with: oc apply -f <this file>']);
}

/** The signatures of one release digest: the ConfigMap's name (`sha256-<hex>`), its keys in order, and the releases that named it. */
interface SignatureGroup {
  name: string;
  entries: Array<{ key: string; number: number; bytes: Buffer }>;
  releases: Set<string>;
}

/** Checks and groups the signatures by release digest; a malformed key, a release name that is no tag or a key given twice is refused. */
function groupSignatures(signatures: ClusterResourcesInput['signatures']): SignatureGroup[] {
  const groups = new Map<string, SignatureGroup>();
  for (const signature of signatures) {
    const match = RELEASE_SIGNATURE_KEY.exec(signature.key);
    if (!match?.[1] || !match[2]) throw invalid(`release signature "${signature.key}" is not named sha256-<64 hex digits>-<number>`, { key: signature.key });
    if (!RELEASE_NAME.test(signature.release)) throw invalid(`release signature ${signature.key}: release "${signature.release}" is not a <version>-<arch> tag`, { key: signature.key });
    if (signature.bytes.length === 0) throw invalid(`release signature ${signature.key} is empty`, { key: signature.key });
    const name = match[1];
    let group = groups.get(name);
    if (!group) {
      group = { name, entries: [], releases: new Set() };
      groups.set(name, group);
    }
    if (group.entries.some((entry) => entry.key === signature.key)) throw invalid(`release signature ${signature.key} is given twice`, { key: signature.key });
    group.entries.push({ key: signature.key, number: Number(match[2]), bytes: signature.bytes });
    group.releases.add(signature.release);
  }
  for (const group of groups.values()) group.entries.sort((a, b) => a.number - b.number);
  return [...groups.values()].sort((a, b) => compareText(a.name, b.name));
}

/**
 * The ConfigMap holding one release digest's signatures, as
 * `oc adm release mirror` and oc-mirror v1 write them: named `sha256-<hex>`
 * in openshift-config-managed, labelled for the cluster-version operator, one
 * binaryData entry `sha256-<hex>-<n>` per signature. (oc-mirror v2 puts every
 * release in one ConfigMap; the operator reads every labelled ConfigMap by key,
 * so one per digest works alike and lets a later import add a release without
 * replacing the earlier ones.)
 */
function signatureConfigMap(group: SignatureGroup): string {
  const binaryData: Record<string, string> = {};
  let bytes = 0;
  for (const entry of group.entries) {
    binaryData[entry.key] = entry.bytes.toString('base64');
    bytes += entry.bytes.length;
  }
  if (bytes > CONFIGMAP_MAX_BYTES) throw invalid(`the signatures of release ${group.name} hold ${bytes} bytes, more than a ConfigMap can (1 MiB)`, { name: group.name, bytes });
  const object = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: group.name, namespace: SIGNATURE_NAMESPACE, labels: { [SIGNATURE_LABEL]: '' } },
    binaryData,
  };
  const releases = [...group.releases].sort(compareText).join(', ');
  return yamlText(object, [
    GENERATED_BY,
    `Signatures of OpenShift release ${releases} (${group.name.replace('-', ':')}): the cluster verifies the mirrored release with them.`,
    'Apply with: oc apply -f <this file>',
  ]);
}

/** An UpdateService (updateservice.operator.openshift.io/v1) serving the mirrored update graph, as oc-mirror writes it (2 replicas). */
export function updateService(service: NonNullable<ClusterResourcesInput['updateService']>, options: MirrorConfigOptions): string {
  const graph = mirroredByDigest(service.graphImage, 'the mirrored graph data image', options);
  const releases = checkMirror(service.releases);
  checkUnderTarget(releases, 'the mirrored release images repository', options);
  const object = {
    apiVersion: 'updateservice.operator.openshift.io/v1',
    kind: 'UpdateService',
    metadata: { name: UPDATE_SERVICE_NAME, namespace: UPDATE_SERVICE_NAMESPACE },
    spec: { replicas: 2, releases, graphDataImage: `${graph.repository}@${graph.digest}` },
  };
  return yamlText(object, [
    GENERATED_BY,
    'The OpenShift Update Service over the mirrored update graph and release images (install the',
    'OpenShift Update Service operator first; its namespace must exist).',
    'Apply with: oc apply -f <this file>',
  ]);
}

/**
 * Renders every cluster resource, keyed by its path under the mirror-configuration
 * folder: `openshift/cs-<name>.yaml` and `openshift/cc-<name>.yaml` per catalog,
 * `openshift/release-signatures/sha256-<hex>.yaml` per release digest and
 * `openshift/updateservice.yaml`. Throws INVALID_ARGUMENT before anything is written.
 */
export function renderClusterResources(input: ClusterResourcesInput, options: MirrorConfigOptions): Map<string, string> {
  const files = new Map<string, string>();
  for (const catalog of nameCatalogs(input.catalogs, options)) {
    files.set(`openshift/${catalog.catalogSource}.yaml`, catalogSource(catalog, catalog.catalogSource));
    files.set(`openshift/${catalog.clusterCatalog}.yaml`, clusterCatalog(catalog, catalog.clusterCatalog));
  }
  for (const group of groupSignatures(input.signatures)) files.set(`${SIGNATURES_FOLDER}/${group.name}.yaml`, signatureConfigMap(group));
  if (input.updateService) files.set('openshift/updateservice.yaml', updateService(input.updateService, options));
  return files;
}

/** Whether an input has anything to write, so callers can leave it out of the mirror configuration altogether. */
export function hasClusterResources(input: ClusterResourcesInput | undefined): input is ClusterResourcesInput {
  return input !== undefined && (input.catalogs.length > 0 || input.signatures.length > 0 || input.updateService !== undefined);
}
