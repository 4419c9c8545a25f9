/**
 * What every image-set resolver produces (DESIGN.md decision 8): exact
 * references, each with where it should land on import and which section of
 * the set brought it. The transfer engine knows nothing of the platforms
 * behind them.
 */
import type { Reference } from '../../src-shared/model/oci.ts';
import type { PlatformSelection } from '../oci/platform.ts';
import type { Registries } from '../oci/registry/registries.ts';

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

/** Non-image content built into an OCI artifact on the connected side (local files, package repositories, charts from HTTP repositories). */
export interface LocalArtifact {
  /** What it was made from, shown in the plan and recorded as the bundle image's source, e.g. `file:repo/debs` or `https://charts.example.com/nginx-1.2.3.tgz`. */
  source: string;
  /** Where it lands under the import prefix. */
  target: { path: string; tag: string };
  section: string;
  artifactType: string;
  /** The config blob; files use the OCI empty descriptor (`application/vnd.oci.empty.v1+json`, bytes `{}`). */
  config: { mediaType: string; bytes: Buffer };
  /** One layer per regular file on local disk; each is hashed while planning and re-hashed while copied. */
  layers: Array<{ mediaType: string; file: string; title: string; annotations?: Record<string, string> }>;
  annotations?: Record<string, string>;
}

/** A resolver's answer: the images, artifacts built locally, and plain-language notes for the plan (requirements, disruptions). */
export interface ResolvedSection {
  images: ResolvedImage[];
  artifacts?: LocalArtifact[];
  notes: string[];
}

/** What resolvers get to work with: registry reads only. */
export interface ResolveContext {
  registries: Registries;
  platforms: PlatformSelection;
  signal?: AbortSignal;
  /** Folder of the image set file, for relative paths inside it. */
  baseDir: string;
  /**
   * A folder resolvers may download into (charts from HTTP repositories), kept
   * until the export has copied the artifacts made from it; the caller removes
   * it. Without one, a resolver that must download makes its own under the OS
   * temporary folder.
   */
  staging?: string;
}
