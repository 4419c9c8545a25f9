import { describe, expect, it } from 'vitest';
import { contentKind, FILES_ARTIFACT_TYPE, HELM_CONFIG_MEDIA_TYPE, PACKAGE_REPOSITORY_ARTIFACT_TYPE } from '../../src-shared/model/content-kind.ts';

describe('contentKind', () => {
  it('tells images, files, charts, package repositories and other artifacts apart', () => {
    expect(contentKind(undefined, 'application/vnd.oci.image.config.v1+json')).toBe('image');
    expect(contentKind(undefined, 'application/vnd.docker.container.image.v1+json')).toBe('image');
    expect(contentKind(undefined, undefined)).toBe('image');
    expect(contentKind(undefined, HELM_CONFIG_MEDIA_TYPE)).toBe('chart');
    expect(contentKind(PACKAGE_REPOSITORY_ARTIFACT_TYPE, 'application/vnd.oci.empty.v1+json')).toBe('package-repository');
    expect(contentKind(FILES_ARTIFACT_TYPE, 'application/vnd.oci.empty.v1+json')).toBe('files');
    expect(contentKind('application/vnd.example.docs.v1', 'application/vnd.oci.empty.v1+json', 'files')).toBe('files');
    expect(contentKind('application/vnd.dev.cosign.artifact.sig.v1+json', 'application/vnd.oci.empty.v1+json')).toBe('artifact');
    expect(contentKind(undefined, 'application/vnd.unknown.config.v1+json')).toBe('artifact');
  });
});
