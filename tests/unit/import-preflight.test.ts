/**
 * The preflight's comparison of a plan with a registry check's report: which
 * images a registry cannot take and why, and the one refusal naming them all.
 */
import { describe, expect, it } from 'vitest';
import { DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, OCI_INDEX, OCI_MANIFEST } from '../../src-main/oci/media-types.ts';
import type { ImportImage, ImportPlan } from '../../src-main/transfer/import-plan.ts';
import { compareWithReport, missingRepositoryProblems, preflightRefusal } from '../../src-main/transfer/import-preflight.ts';
import { errorHint } from '../../src-shared/errors.ts';
import type { RegistryCheckReport } from '../../src-shared/model/registry-check.ts';

const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));

function image(source: string, repository: string, manifests: ImportImage['manifests']): ImportImage {
  return {
    name: source,
    source,
    destination: { registry: 'quay.local', repository, digest: 'sha256:' + '0'.repeat(64) },
    digest: 'sha256:' + '0'.repeat(64),
    mediaType: manifests.at(-1)?.mediaType ?? OCI_MANIFEST,
    manifests,
    blobs: [],
  };
}

const plain = { digest: 'sha256:' + '1'.repeat(64), mediaType: OCI_MANIFEST, bytes: json({ schemaVersion: 2 }) };
const plan: ImportPlan = {
  images: [
    image('src.example/a/b/app:1', 'mirror/a/b/app', [plain]),
    image('src.example/tools:2', 'mirror/tools', [plain, { digest: 'sha256:' + '2'.repeat(64), mediaType: OCI_INDEX, bytes: json({ schemaVersion: 2, manifests: [] }) }]),
    image('src.example/legacy:3', 'mirror/legacy', [
      { digest: 'sha256:' + '3'.repeat(64), mediaType: DOCKER_MANIFEST, bytes: json({}) },
      { digest: 'sha256:' + '4'.repeat(64), mediaType: DOCKER_MANIFEST_LIST, bytes: json({}) },
    ]),
    image('src.example/sig:sha256-x.sig', 'mirror/tools', [
      { digest: 'sha256:' + '5'.repeat(64), mediaType: OCI_MANIFEST, bytes: json({ artifactType: 'application/x', subject: { digest: 'sha256:' + '2'.repeat(64) } }) },
    ]),
  ],
  mappings: [],
  blobRepositories: new Map(),
  bytes: 0,
};

function report(overrides: Partial<RegistryCheckReport>): RegistryCheckReport {
  return {
    target: 'quay.local/mirror',
    registry: 'quay.local',
    prefix: 'mirror',
    reachable: true,
    tls: 'verified',
    auth: 'token',
    write: true,
    maxDepth: null,
    depthCeiling: 8,
    accepts: { ociIndex: true, dockerManifestList: true, artifactType: true, subject: true },
    referrersApi: false,
    createsRepositoriesOnPush: true,
    deletes: true,
    canCreateRepositories: false,
    leftovers: [],
    rows: [],
    durationMs: 10,
    ...overrides,
  };
}

describe('compareWithReport', () => {
  it('finds nothing on a registry that takes everything', () => {
    expect(compareWithReport(plan, report({}))).toEqual([]);
  });

  it('names each image whose path is deeper than the registry takes', () => {
    const problems = compareWithReport(plan, report({ maxDepth: 2 }));
    expect(problems).toEqual([{ image: 'src.example/a/b/app:1', destination: 'quay.local/mirror/a/b/app', reason: 'path-too-deep', detail: 'path too deep: 4 levels, the registry takes at most 2' }]);
  });

  it('names each image with a manifest kind the registry refused, and only refusals (unknown is not a refusal)', () => {
    const byKind = (accepts: Partial<RegistryCheckReport['accepts']>): string[] =>
      compareWithReport(plan, report({ accepts: { ociIndex: null, dockerManifestList: null, artifactType: null, subject: null, ...accepts } })).map((p) => `${p.image}: ${p.detail}`);
    expect(byKind({})).toEqual([]);
    expect(byKind({ ociIndex: false })).toEqual(['src.example/tools:2: media type refused: the registry does not store an OCI image index']);
    expect(byKind({ dockerManifestList: false })).toEqual(['src.example/legacy:3: media type refused: the registry does not store a Docker manifest list']);
    expect(byKind({ artifactType: false, subject: false })).toEqual([
      'src.example/sig:sha256-x.sig: media type refused: the registry does not store a manifest with an artifact type or a manifest with a subject (a referrer)',
    ]);
  });
});

describe('preflightRefusal', () => {
  it('is one error naming every image and reason, the repositories to create, and a hint for both fixes', () => {
    const checked = report({ maxDepth: 2, createsRepositoriesOnPush: false, canCreateRepositories: true });
    const missing = ['mirror/legacy'];
    const problems = [...compareWithReport(plan, checked), ...missingRepositoryProblems(plan, missing, checked)];
    const error = preflightRefusal('quay.local/mirror', { problems, missingRepositories: missing }, checked);
    expect(error.code).toBe('REGISTRY_ERROR');
    expect(error.message).toContain('nothing was written');
    expect(error.message).toContain('src.example/a/b/app:1 -> quay.local/mirror/a/b/app: path too deep');
    expect(error.message).toContain('src.example/legacy:3 -> quay.local/mirror/legacy: repository missing');
    expect(error.message).toContain('repositories to create first (1): mirror/legacy');
    expect(errorHint(error.details)).toEqual({ kind: 'registry-limits', maxNestedPaths: 2, createRepositories: true });
  });

  it('offers no creation where the registry has no way to create repositories', () => {
    const checked = report({ createsRepositoriesOnPush: false, canCreateRepositories: false });
    const problems = missingRepositoryProblems(plan, ['mirror/tools'], checked);
    expect(problems.map((p) => p.image)).toEqual(['src.example/tools:2', 'src.example/sig:sha256-x.sig']);
    expect(problems[0]?.detail).toContain('create it in the registry first');
    expect(errorHint(preflightRefusal('quay.local/mirror', { problems, missingRepositories: ['mirror/tools'] }, checked).details)).toEqual({ kind: 'registry-limits' });
  });
});
