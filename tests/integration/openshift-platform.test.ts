/**
 * `openshift.platform.channels` against a loopback update service whose graphs
 * name release images seeded in a real registry: which versions a channel
 * selects (range, shortest path, head, several channels, several
 * architectures, OKD), each asserted as the exact list of release tags, and
 * the errors when the service is unreachable.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FerryError } from '../../src-shared/errors.ts';
import { formatReference } from '../../src-main/oci/reference.ts';
import { ALL_PLATFORMS } from '../../src-main/oci/platform.ts';
import type { Registries } from '../../src-main/oci/registry/registries.ts';
import { RELEASE_SIGNATURE_MEDIA_TYPE, RELEASE_SIGNATURES_ARTIFACT_TYPE, RELEASE_SIGNATURES_PATH, RELEASE_SIGNATURES_SECTION } from '../../src-main/oci/openshift-artifacts.ts';
import { resolveOpenShift } from '../../src-main/sources/openshift.ts';
import type { ResolveContext, ResolvedSection } from '../../src-main/sources/types.ts';
import { registriesFor } from '../harness/ferry-access.ts';
import {
  buildOpenShiftFixture,
  COMPONENTS_REPOSITORY,
  RELEASE_ARCH,
  RELEASE_COMPONENTS,
  RELEASE_REPOSITORY,
  RELEASE_VERSION,
  seedOpenShiftFixture,
  type OpenShiftFixture,
} from '../harness/openshift-fixture.ts';
import { startRegistry, type RunningRegistry } from '../harness/registry.ts';
import { startReleaseServices, type ReleaseServices } from '../harness/release-services.ts';
import { Teardown } from '../harness/teardown.ts';

let registry: RunningRegistry;
let fixture: OpenShiftFixture;
let registries: Registries;
let services: ReleaseServices;
let staging: string;
let context: ResolveContext;

const teardown = new Teardown();

beforeAll(async () => {
  registry = teardown.add(await startRegistry({ mode: 'anonymous' }), (started) => started.stop());
  fixture = await buildOpenShiftFixture(registry.host);
  await seedOpenShiftFixture(registry, fixture);
  services = teardown.add(await startReleaseServices(fixture), (started) => started.close());
  registries = teardown.add(registriesFor(registry), (opened) => opened.close());
  staging = await mkdtemp(join(tmpdir(), 'ferry-platform-'));
  context = { registries, platforms: ALL_PLATFORMS, baseDir: process.cwd(), staging, updateService: services.updateService, signatureStore: services.signatureStore };
});

afterAll(async () => {
  await teardown.run();
  if (staging) await rm(staging, { recursive: true, force: true });
});

/** The release tags (`<version>-<arch>`) a plan carries, in plan order. */
function releaseTags(section: ResolvedSection): string[] {
  return section.images.filter((i) => i.target?.path === 'openshift/release-images').map((i) => i.target?.tag ?? '');
}

function platform(channels: unknown[], architectures?: string[]): unknown {
  return { platform: { channels, ...(architectures ? { architectures } : {}) } };
}

async function rejection(promise: Promise<unknown>): Promise<FerryError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(FerryError);
  return error as FerryError;
}

describe('platform channels', () => {
  it('takes every release between minVersion and maxVersion, with each payload and its components by digest', async () => {
    const resolved = await resolveOpenShift(platform([{ name: 'stable-4.16', minVersion: '4.16.1', maxVersion: '4.16.3' }]), context);
    expect(releaseTags(resolved)).toEqual(['4.16.1-x86_64', '4.16.2-x86_64', '4.16.3-x86_64']);
    for (const version of ['4.16.1', '4.16.2', '4.16.3']) {
      const release = fixture.releases.get(`${version}-x86_64`);
      const lines = resolved.images.filter((i) => i.target?.tag?.startsWith(`${version}-x86_64`)).map((i) => `${formatReference(i.source)} ${i.target?.path}:${i.target?.tag}`);
      expect(lines.sort()).toEqual(
        [
          `${fixture.host}/${release?.image.repository}@${release?.image.manifest.digest} openshift/release-images:${version}-x86_64`,
          ...RELEASE_COMPONENTS.map((name) => `${fixture.host}/${COMPONENTS_REPOSITORY}@${release?.components.get(name)?.manifest.digest} openshift/release:${version}-x86_64-${name}`),
        ].sort(),
      );
    }
    expect(resolved.notes.join('\n')).toContain('channel stable-4.16 (amd64): 4.16.1, 4.16.2, 4.16.3 — every release from 4.16.1 to 4.16.3');
    expect(services.requests).toContain('/graph?channel=stable-4.16&arch=amd64');
  });

  it('takes only the shortest upgrade path, ignoring conditional updates', async () => {
    const direct = await resolveOpenShift(platform([{ name: 'stable-4.16', minVersion: '4.16.0', maxVersion: '4.16.12', shortestPath: true }]), context);
    expect(releaseTags(direct)).toEqual(['4.16.0-x86_64', '4.16.2-x86_64', '4.16.12-x86_64']);
    expect(direct.notes.join('\n')).toContain('shortest upgrade path from 4.16.0 to 4.16.12');
  });

  it('breaks ties between equally short paths towards the highest versions', async () => {
    const tied = await resolveOpenShift(platform([{ name: 'stable-4.16', minVersion: '4.15.2', maxVersion: '4.16.12', shortestPath: true }]), context);
    expect(releaseTags(tied)).toEqual(['4.15.2-x86_64', '4.16.1-x86_64', '4.16.3-x86_64', '4.16.12-x86_64']);
  });

  it('takes only the channel head without bounds or full, and every release with full', async () => {
    const head = await resolveOpenShift(platform([{ name: 'stable-4.16' }]), context);
    expect(releaseTags(head)).toEqual(['4.16.12-x86_64']);
    expect(head.notes.join('\n')).toContain('the channel head only');
    const full = await resolveOpenShift(platform([{ name: 'stable-4.16', full: true }]), context);
    expect(releaseTags(full)).toEqual(['4.15.2-x86_64', '4.16.0-x86_64', '4.16.1-x86_64', '4.16.2-x86_64', '4.16.3-x86_64', '4.16.12-x86_64']);
    const fromMin = await resolveOpenShift(platform([{ name: 'stable-4.16', minVersion: '4.16.3' }]), context);
    expect(releaseTags(fromMin)).toEqual(['4.16.3-x86_64', '4.16.12-x86_64']);
  });

  it('unites several channels and adds the upgrade path across them, as oc-mirror does', async () => {
    const resolved = await resolveOpenShift(
      platform([
        { name: 'stable-4.15', full: true },
        { name: 'stable-4.16', minVersion: '4.16.2' },
      ]),
      context,
    );
    // stable-4.15: 4.15.1, 4.15.2; stable-4.16: 4.16.2, 4.16.3, 4.16.12; across: 4.15.1 → 4.15.2 (newest of 4.15) → 4.16.1 → 4.16.3 → 4.16.12.
    expect(releaseTags(resolved)).toEqual(['4.15.1-x86_64', '4.15.2-x86_64', '4.16.1-x86_64', '4.16.2-x86_64', '4.16.3-x86_64', '4.16.12-x86_64']);
    expect(resolved.notes.join('\n')).toContain('upgrade path from 4.15.1 (stable-4.15) to 4.16.12 (stable-4.16); adds 4.16.1');
  });

  it('stops the cross-channel path at the goal release when the next channel does not hold the version reached', async () => {
    const key = 'stable-4.16/amd64';
    const original = services.graphs.get(key);
    if (!original) throw new Error(key);
    // The same channel without 4.15.2: the walk from stable-4.15 cannot enter it.
    const kept = original.nodes.filter((node) => node.version !== '4.15.2');
    const at = (index: number): number => {
      const node = original.nodes[index];
      return node ? kept.indexOf(node) : -1;
    };
    services.graphs.set(key, {
      nodes: kept,
      edges: original.edges.filter(([from, to]) => at(from) >= 0 && at(to) >= 0).map(([from, to]): [number, number] => [at(from), at(to)]),
      conditionalEdges: [],
    });
    try {
      const resolved = await resolveOpenShift(platform([{ name: 'stable-4.15', full: true }, { name: 'stable-4.16' }]), context);
      expect(releaseTags(resolved)).toEqual(['4.15.1-x86_64', '4.15.2-x86_64', '4.16.12-x86_64']);
      expect(resolved.notes.join('\n')).toContain('stable-4.16 does not hold 4.15.2, so the path stops at 4.16.12');
    } finally {
      services.graphs.set(key, original);
    }
  });

  it('resolves each architecture from its own graph', async () => {
    const resolved = await resolveOpenShift(platform([{ name: 'stable-4.16', minVersion: '4.16.2', maxVersion: '4.16.3' }], ['amd64', 'arm64']), context);
    expect(releaseTags(resolved)).toEqual(['4.16.2-x86_64', '4.16.3-x86_64', '4.16.2-aarch64', '4.16.3-aarch64']);
    expect(services.requests).toContain('/graph?channel=stable-4.16&arch=arm64');
    const arm = fixture.releases.get('4.16.3-aarch64');
    expect(resolved.images.find((i) => i.target?.tag === '4.16.3-aarch64-cluster-version-operator')?.source.digest).toBe(arm?.components.get('cluster-version-operator')?.manifest.digest);
  });

  it('resolves an OKD channel to OKD payloads, outside the cross-channel path', async () => {
    const resolved = await resolveOpenShift(platform([{ name: 'stable-4', type: 'okd', full: true }, { name: 'stable-4.16' }]), context);
    expect(releaseTags(resolved)).toEqual(['4.15.0-0.okd-2024-03-10-010116-x86_64', '4.16.0-0.okd-2024-08-01-000000-x86_64', '4.16.12-x86_64']);
    const okd = resolved.images.find((i) => i.target?.tag === '4.16.0-0.okd-2024-08-01-000000-x86_64');
    expect(okd?.source.repository).toBe('openshift/okd');
    expect(resolved.notes.join('\n')).toContain('OKD channel stable-4 (amd64)');
  });

  it('refuses a payload that is not the release the graph names', async () => {
    const key = 'stable-4.16/amd64';
    const original = services.graphs.get(key);
    if (!original) throw new Error(key);
    const arm = fixture.releases.get('4.16.2-aarch64');
    const wrong = `${fixture.host}/${arm?.image.repository}@${arm?.image.manifest.digest}`;
    services.graphs.set(key, { ...original, nodes: original.nodes.map((node) => (node.version === '4.16.12' ? { ...node, payload: wrong } : node)) });
    try {
      const error = await rejection(resolveOpenShift(platform([{ name: 'stable-4.16' }]), context));
      expect(error.code).toBe('INVALID_CONTENT');
      expect(error.message).toContain(`update graph (amd64) names ${wrong} as 4.16.12 (x86_64), but the release image says it is 4.16.2 (aarch64)`);
    } finally {
      services.graphs.set(key, original);
    }
  });

  it('names a version the channel does not hold', async () => {
    const error = await rejection(resolveOpenShift(platform([{ name: 'stable-4.16', minVersion: '4.16.5', maxVersion: '4.16.12', shortestPath: true }]), context));
    expect(error.code).toBe('NOT_FOUND');
    expect(error.message).toContain('update graph stable-4.16/amd64');
    expect(error.message).toContain('4.16.5 is not a release of the channel');
  });

  it('names the channel when the graph has no release for the architecture', async () => {
    const error = await rejection(resolveOpenShift(platform([{ name: 'stable-4.16' }], ['s390x']), context));
    expect(error.message).toContain('update graph stable-4.16/s390x');
    expect(error.message).toContain('no releases');
  });

  it('names the update service when it cannot be reached', async () => {
    const down = await startReleaseServices(fixture);
    await down.close();
    const error = await rejection(resolveOpenShift(platform([{ name: 'stable-4.16' }]), { ...context, updateService: down.updateService }));
    expect(error.message).toContain(`update graph stable-4.16/amd64 from ${down.updateService}`);
    expect(error.message).toContain('ECONNREFUSED');
  });
});

describe('release signatures', () => {
  function hexOf(key: string): string {
    return fixture.releases.get(key)?.image.manifest.digest.replace('sha256:', '') ?? '';
  }

  it('carries every signature of every release, from channels and from releases:, one artifact per release', async () => {
    const resolved = await resolveOpenShift(
      {
        platform: { channels: [{ name: 'stable-4.16', minVersion: '4.16.3', maxVersion: '4.16.12' }] },
        releases: [`${fixture.host}/${RELEASE_REPOSITORY}:4.15.1-x86_64`, `${fixture.host}/${RELEASE_REPOSITORY}:${RELEASE_VERSION}-${RELEASE_ARCH}`],
      },
      context,
    );
    const artifacts = resolved.artifacts ?? [];
    expect(artifacts.map((a) => a.target.tag).sort()).toEqual(['4.15.1-x86_64', '4.16.12-x86_64', '4.16.3-x86_64']);
    for (const artifact of artifacts) {
      expect(artifact).toMatchObject({ section: RELEASE_SIGNATURES_SECTION, artifactType: RELEASE_SIGNATURES_ARTIFACT_TYPE, target: { path: RELEASE_SIGNATURES_PATH } });
      const hex = hexOf(artifact.target.tag);
      const count = artifact.target.tag === `${RELEASE_VERSION}-${RELEASE_ARCH}` ? 2 : 1;
      expect(artifact.layers.map((l) => [l.title, l.mediaType])).toEqual(Array.from({ length: count }, (_, i) => [`sha256-${hex}-${i + 1}`, RELEASE_SIGNATURE_MEDIA_TYPE]));
      for (const [i, layer] of artifact.layers.entries()) expect(await readFile(layer.file)).toEqual(services.signatures.get(`sha256=${hex}/signature-${i + 1}`));
      expect(artifact.source).toBe(`${services.signatureStore}/sha256=${hex}`);
    }
    expect(services.requests).toContain(`/signatures/sha256=${hexOf('4.16.12-x86_64')}/signature-3`);
    expect(resolved.notes.join('\n')).toContain(`OpenShift release signatures: 4 for 3 releases from ${services.signatureStore}`);
  });

  it('refuses a release without a signature, naming the release and the URL asked', async () => {
    const hex = hexOf('4.16.2-aarch64');
    const key = `sha256=${hex}/signature-1`;
    const saved = services.signatures.get(key);
    services.signatures.delete(key);
    try {
      const error = await rejection(resolveOpenShift(platform([{ name: 'stable-4.16', minVersion: '4.16.2' }], ['arm64']), context));
      expect(error.code).toBe('NOT_FOUND');
      expect(error.message).toContain(`OpenShift 4.16.2 (aarch64) ${fixture.host}/${RELEASE_REPOSITORY}@sha256:${hex} has no signature`);
      expect(error.message).toContain(`${services.signatureStore}/${key}`);
      expect(error.message).toContain('--signature-store');
    } finally {
      if (saved) services.signatures.set(key, saved);
    }
  });

  it('ends the list at any 4xx after the first signature, as a CDN answers 403 for a file it does not hold', async () => {
    services.missingStatus = 403;
    try {
      const resolved = await resolveOpenShift({ releases: [`${fixture.host}/${RELEASE_REPOSITORY}:4.15.1-x86_64`] }, context);
      const hex = hexOf('4.15.1-x86_64');
      expect(resolved.artifacts?.map((a) => a.layers.map((l) => l.title))).toEqual([[`sha256-${hex}-1`]]);
      expect(services.requests).toContain(`/signatures/sha256=${hex}/signature-2`);
    } finally {
      services.missingStatus = 404;
    }
  });

  it('fails on a 5xx after the first signature, naming the URL, rather than carrying fewer signatures', async () => {
    const key = `sha256=${hexOf('4.15.1-x86_64')}/signature-2`;
    services.failures.set(key, 501);
    try {
      const error = await rejection(resolveOpenShift({ releases: [`${fixture.host}/${RELEASE_REPOSITORY}:4.15.1-x86_64`] }, context));
      expect(error.message).toContain(`${services.signatureStore}/${key}`);
      expect(error.message).toContain('501');
    } finally {
      services.failures.delete(key);
    }
  });

  it('names the signature store when it cannot be reached', async () => {
    const down = await startReleaseServices(fixture);
    await down.close();
    const error = await rejection(resolveOpenShift({ releases: [`${fixture.host}/${RELEASE_REPOSITORY}:4.15.1-x86_64`] }, { ...context, signatureStore: down.signatureStore }));
    expect(error.message).toContain(`${down.signatureStore}/sha256=${hexOf('4.15.1-x86_64')}/signature-1`);
  });
});
