/**
 * trust/policy-rules.ts: allowedSources and blockedImages compare names as the
 * registry sees them — host case, a default :443 and Docker Hub's short names
 * cannot carry an image past an entry written another way (review item 4).
 */
import { describe, expect, it } from 'vitest';
import type { SitePolicy } from '../../src-main/trust/policy.ts';
import { SitePolicySchema } from '../../src-shared/schemas/policy.ts';
import { normaliseRepositoryName } from '../../src-main/trust/policy-names.ts';
import { evaluatePolicy, failedRules, type PolicyFacts, type PolicyImage } from '../../src-main/trust/policy-rules.ts';

const DIGEST = `sha256:${'a'.repeat(64)}`;

function policy(extra: Partial<SitePolicy>): SitePolicy {
  return {
    path: 'policy.yaml',
    digest: `sha256:${'0'.repeat(64)}`,
    trustedKeys: [],
    require: { exporter: 0, officer: 0 },
    blockedImages: [],
    overwriteTags: true,
    requireImageSignatures: [],
    ...extra,
  };
}

function facts(source: string): PolicyFacts {
  const image: PolicyImage = { name: 'img', source, digest: DIGEST, manifests: [DIGEST], local: false };
  return { now: new Date('2026-12-02T12:00:00Z'), channel: 'c', sequence: 1, pinned: true, signatures: [], images: [image], landings: [], targetKnown: false, tagChanges: [] };
}

describe('normalising registry names', () => {
  it.each([
    ['Quay.IO/evil/img', 'quay.io/evil/img'],
    ['quay.io:443/evil/img', 'quay.io/evil/img'],
    ['registry.local:5000/a', 'registry.local:5000/a'],
    ['docker.io/nginx', 'docker.io/library/nginx'],
    ['index.docker.io/nginx', 'docker.io/library/nginx'],
    ['docker.io/org/app', 'docker.io/org/app'],
    ['docker.io/**', 'docker.io/**'],
  ])('%s is %s', (name, expected) => {
    expect(normaliseRepositoryName(name)).toBe(expected);
  });
});

describe('blockedImages', () => {
  it.each(['Quay.IO/evil/img:1', 'quay.io:443/evil/img:1', 'QUAY.io:443/evil/img@' + DIGEST, 'quay.io/evil/img:1'])('blocks %s by quay.io/evil/**', (source) => {
    expect(failedRules(evaluatePolicy(policy({ blockedImages: ['quay.io/evil/**'] }), facts(source)))).toEqual(['blocked-images']);
  });

  it('blocks with a :443 or a tag in the entry too', () => {
    expect(failedRules(evaluatePolicy(policy({ blockedImages: ['quay.io:443/evil/img:1'] }), facts('Quay.IO/evil/img:1')))).toEqual(['blocked-images']);
    expect(failedRules(evaluatePolicy(policy({ blockedImages: ['quay.io:443/evil/img:2'] }), facts('Quay.IO/evil/img:1')))).toEqual([]);
  });

  it('blocks docker.io/library/nginx by the short name docker.io/nginx, and nginx written any way', () => {
    for (const source of ['docker.io/library/nginx:1', 'nginx:1', 'docker.io/nginx', 'index.docker.io/library/nginx']) {
      expect(failedRules(evaluatePolicy(policy({ blockedImages: ['docker.io/nginx'] }), facts(source)))).toEqual(['blocked-images']);
    }
    expect(failedRules(evaluatePolicy(policy({ blockedImages: ['docker.io/nginx'] }), facts('docker.io/other/nginx')))).toEqual([]);
  });

  it('leaves other registries alone', () => {
    expect(failedRules(evaluatePolicy(policy({ blockedImages: ['quay.io/evil/**'] }), facts('quay.io:8443/evil/img:1')))).toEqual([]);
  });
});

describe('allowedSources', () => {
  it('allows a source whatever the host case or default port, and docker.io short names', () => {
    for (const source of ['Quay.IO/org/app:1', 'quay.io:443/org/app:1']) expect(failedRules(evaluatePolicy(policy({ allowedSources: ['quay.io/org/*'] }), facts(source)))).toEqual([]);
    expect(failedRules(evaluatePolicy(policy({ allowedSources: ['docker.io/nginx'] }), facts('nginx:1')))).toEqual([]);
    expect(failedRules(evaluatePolicy(policy({ allowedSources: ['quay.io:443/org/*'] }), facts('quay.io/org/app')))).toEqual([]);
    expect(failedRules(evaluatePolicy(policy({ allowedSources: ['quay.io/org/*'] }), facts('quay.io:8443/org/app')))).toEqual(['allowed-sources']);
  });
});

describe('** at load', () => {
  it.each([
    ['allowedSources', 'quay.io/org**'],
    ['allowedSources', 'quay.io**'],
    ['allowedSources', 'quay.io/**x/app'],
    ['allowedSources', 'quay.io/***'],
    ['blockedImages', 'quay.io/evil**'],
    ['blockedImages', 'quay.io**:1'],
  ])('refuses %s entry %s', (field, pattern) => {
    const result = SitePolicySchema.safeParse({ [field]: [pattern] });
    expect(result.success).toBe(false);
    expect(JSON.stringify(result.error?.issues)).toContain('** must stand for whole path segments');
  });

  it.each([
    ['allowedSources', 'quay.io/**'],
    ['allowedSources', '**/app'],
    ['allowedSources', 'quay.io/**/app'],
    ['blockedImages', 'quay.io/evil/**'],
    ['blockedImages', 'quay.io/evil/**:1'],
    ['blockedImages', `quay.io/**@${DIGEST}`],
  ])('accepts %s entry %s', (field, pattern) => {
    expect(SitePolicySchema.safeParse({ [field]: [pattern] }).success).toBe(true);
  });
});
