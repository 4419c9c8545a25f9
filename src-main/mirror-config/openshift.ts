/**
 * OpenShift mirror objects. The cluster's Machine Config Operator turns them
 * into the same registries.conf on every node:
 * https://docs.openshift.com/container-platform/latest/openshift_images/image-configuration.html
 */
import { groupMappings, objectName } from './mapping.ts';
import type { MirrorConfigOptions, MirrorGroup, RepositoryMapping } from './mapping.ts';
import { GENERATED_BY, yamlText } from './stringify.ts';

/** What differs between the three kinds; the document layout is otherwise identical. */
interface MirrorObjectKind {
  apiVersion: string;
  kind: string;
  listField: string;
}

function mirrorObject(kind: MirrorObjectKind, groups: readonly MirrorGroup[], options: MirrorConfigOptions, note: string): string {
  const object = {
    apiVersion: kind.apiVersion,
    kind: kind.kind,
    metadata: { name: objectName(options) },
    spec: { [kind.listField]: groups.map((group) => ({ source: group.source, mirrors: [...group.mirrors] })) },
  };
  return yamlText(object, [GENERATED_BY, note, 'Apply with: oc apply -f <this file>']);
}

/**
 * ImageDigestMirrorSet (OpenShift 4.13+): digest pulls of each source try the
 * mirrors. mirrorSourcePolicy is left out, so the default AllowContactingSource
 * applies and images Ferry did not carry still resolve where the source is reachable.
 */
export function imageDigestMirrorSet(mappings: readonly RepositoryMapping[], options: MirrorConfigOptions): string {
  return mirrorObject(
    { apiVersion: 'config.openshift.io/v1', kind: 'ImageDigestMirrorSet', listField: 'imageDigestMirrors' },
    groupMappings(mappings, options),
    options,
    'Digest pulls from each source repository try the mirrors first (OpenShift 4.13 and later).\nDo not also apply the ImageContentSourcePolicy: a cluster refuses ICSP and IDMS/ITMS objects together.',
  );
}

/** ImageTagMirrorSet (OpenShift 4.13+): the same redirection for pulls by tag, which Ferry preserves on import. */
export function imageTagMirrorSet(mappings: readonly RepositoryMapping[], options: MirrorConfigOptions): string {
  return mirrorObject(
    { apiVersion: 'config.openshift.io/v1', kind: 'ImageTagMirrorSet', listField: 'imageTagMirrors' },
    groupMappings(mappings, options),
    options,
    'Tag pulls from each source repository try the mirrors first (OpenShift 4.13 and later).\nDo not also apply the ImageContentSourcePolicy: a cluster refuses ICSP and IDMS/ITMS objects together.',
  );
}

/**
 * ImageContentSourcePolicy: the pre-4.13 equivalent of ImageDigestMirrorSet,
 * still needed for older clusters. Either this or the IDMS/ITMS pair, never
 * both: OpenShift rejects clusters holding both kinds.
 */
export function imageContentSourcePolicy(mappings: readonly RepositoryMapping[], options: MirrorConfigOptions): string {
  return mirrorObject(
    { apiVersion: 'operator.openshift.io/v1alpha1', kind: 'ImageContentSourcePolicy', listField: 'repositoryDigestMirrors' },
    groupMappings(mappings, options),
    options,
    'Only for clusters older than OpenShift 4.13. Newer clusters: apply the ImageDigestMirrorSet and\nImageTagMirrorSet instead, never both kinds (a cluster refuses ICSP and IDMS/ITMS objects together).',
  );
}
