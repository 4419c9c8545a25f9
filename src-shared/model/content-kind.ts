/**
 * What a bundle entry holds, as `ferry verify`, `ferry inspect` and the app's
 * inspector list it beside images: a container image, files, a Helm chart, a
 * package repository or another OCI artifact. Told from the manifest's
 * `artifactType` and config media type (and, for files typed by the user,
 * the image-set section that brought them). Plain data: the renderer uses it too.
 */

/** The kinds of content a bundle lists. */
export type ContentKind = 'image' | 'files' | 'chart' | 'package-repository' | 'artifact';

/** The artifactType of an image set's `files:` entry that names none of its own. */
export const FILES_ARTIFACT_TYPE = 'application/vnd.ferry.files.v1';
/** The artifactType of a package repository (a Debian or RPM repository folder carried as one tar layer). */
export const PACKAGE_REPOSITORY_ARTIFACT_TYPE = 'application/vnd.ferry.package-repository.v1';
/** A Helm chart's config media type (helm.sh/docs/topics/registries); what marks a chart pushed by `helm push`. */
export const HELM_CONFIG_MEDIA_TYPE = 'application/vnd.cncf.helm.config.v1+json';

/** Config media types of runnable container images (OCI and Docker). */
const IMAGE_CONFIGS: readonly string[] = ['application/vnd.oci.image.config.v1+json', 'application/vnd.docker.container.image.v1+json'];

/** The kind of one entry: `configMediaType` is undefined for an index (a multi-platform image). */
export function contentKind(artifactType: string | undefined, configMediaType: string | undefined, section?: string): ContentKind {
  if (artifactType === PACKAGE_REPOSITORY_ARTIFACT_TYPE) return 'package-repository';
  if (configMediaType === HELM_CONFIG_MEDIA_TYPE || artifactType === HELM_CONFIG_MEDIA_TYPE) return 'chart';
  if (artifactType === FILES_ARTIFACT_TYPE || section === 'files') return 'files';
  if (artifactType === undefined && (configMediaType === undefined || IMAGE_CONFIGS.includes(configMediaType))) return 'image';
  return 'artifact';
}

/** One entry of a bundle as `ferry verify`, `ferry inspect` and the inspector list it. */
export interface ListedContent {
  name: string;
  source: string;
  kind: ContentKind;
  artifactType?: string;
  /** Bytes of its manifests and unique blobs. */
  size: number;
  /** For an artifact: its layers by title (the layer digest when it has none), with their sizes. */
  files?: Array<{ title: string; size: number; mediaType: string }>;
}

/** How listings name each kind, singular. */
export const CONTENT_KIND_WORDS: Readonly<Record<ContentKind, string>> = {
  image: 'image',
  files: 'files',
  chart: 'Helm chart',
  'package-repository': 'package repository',
  artifact: 'artifact',
};
