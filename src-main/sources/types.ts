/**
 * What every image-set resolver produces (DESIGN.md decision 8): exact
 * references, each with where it should land on import and which section of
 * the set brought it. The transfer engine knows nothing of the platforms
 * behind them.
 */
import type { Reference } from '../../src-shared/model/oci.ts';
import type { PlatformSelection } from '../oci/platform.ts';
import type { LocalArtifact } from '../oci/local-artifact.ts';
import type { Registries } from '../oci/registry/registries.ts';

/**
 * Non-image content built into an OCI artifact on the connected side (local files, package repositories, charts from HTTP repositories).
 * Declared in oci/local-artifact.ts, beside the code that builds its manifest, because the export engine (transfer/) takes it too and may not import sources/.
 */
export type { LocalArtifact } from '../oci/local-artifact.ts';

/** One image a resolver wants carried. */
export interface ResolvedImage {
  /** What to pull; resolvers pin digests where the platform does. */
  source: Reference;
  /**
   * Where it lands under the import prefix, e.g. `openshift/release` with tag
   * `4.16.12-x86_64-etcd`; absent means the default mapping (source path, source tag).
   */
  target?: { path: string; tag?: string };
  /** The set section that brought it: `images`, `imageLists`, `tags`, `deckhouse`, `openshift.release`, `openshift.operators`, … */
  section: string;
}

/** A resolver's answer: the images, and plain-language notes for the plan (requirements, disruptions). */
export interface ResolvedSection {
  images: ResolvedImage[];
  notes: string[];
  /** Non-image content to build into OCI artifacts (`files:`, `packageRepositories:`, charts from HTTP repositories). */
  artifacts?: LocalArtifact[];
}

/** What resolvers get to work with: registry reads only. */
export interface ResolveContext {
  registries: Registries;
  platforms: PlatformSelection;
  signal?: AbortSignal;
  /** Folder of the image set file, for relative paths inside it. */
  baseDir: string;
  /** A private folder for what resolvers download or build on the connected side (`files:` URLs, packed package repositories, charts from HTTP repositories); the export use case removes it after the export. */
  staging?: string;
  /** The OpenShift update service's graph endpoint (Cincinnati); absent means openshift-graph.ts's DEFAULT_UPDATE_SERVICE. */
  updateService?: string;
  /** The OpenShift release signature store's base URL; absent means openshift-graph.ts's DEFAULT_SIGNATURE_STORE. */
  signatureStore?: string;
}
