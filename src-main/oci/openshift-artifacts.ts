/**
 * How OpenShift release signatures travel in a bundle: one OCI artifact per
 * release, one layer per signature file. Named here, below both the resolver
 * that builds the artifact (sources/) and the import that writes the cluster's
 * signature ConfigMaps from it (mirror-config/, usecases/), so the two cannot
 * disagree.
 */

/** The plan section of a release's signature artifact. */
export const RELEASE_SIGNATURES_SECTION = 'openshift.signatures';

/** The artifactType of a release's signature artifact. */
export const RELEASE_SIGNATURES_ARTIFACT_TYPE = 'application/vnd.ferry.openshift.release-signatures.v1';

/** The media type of one signature file (a layer); its title is the ConfigMap key `sha256-<hex>-<n>`. */
export const RELEASE_SIGNATURE_MEDIA_TYPE = 'application/vnd.ferry.openshift.release-signature.v1';

/** Where signature artifacts land under the import prefix, tagged `<version>-<arch>`. */
export const RELEASE_SIGNATURES_PATH = 'openshift/release-signatures';

/** The plan section of an operator catalog image, so the import can write its CatalogSource and ClusterCatalog. */
export const CATALOG_SECTION = 'openshift.catalog';

/** The plan section of the update graph data image, so the import can write an UpdateService for it. */
export const GRAPH_SECTION = 'openshift.graph';

/**
 * A signature file's name and ConfigMap binaryData key as the bundle reader,
 * `ferry copy --set` and the ConfigMap writer all check it: the release
 * digest's algorithm and hex (group 1, library-go's digestToKeyPrefix, also
 * the ConfigMap's name), then the signature's number from 1 (group 2).
 */
export const RELEASE_SIGNATURE_KEY = /^(sha256-[0-9a-f]{64})-([1-9][0-9]{0,5})$/;

/** A signature file's name and ConfigMap key: `sha256-<hex of the release digest>-<n>`, n from 1. */
export function releaseSignatureKey(releaseDigest: string, index: number): string {
  return `${releaseDigest.replace(':', '-')}-${index}`;
}
