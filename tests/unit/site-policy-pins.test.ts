/**
 * trust/policy-rules.ts: statements count only over a ferry.json that pins
 * index.json, and under a policy a bundle without a channel fails the rollback
 * rule (review item 7).
 */
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { SignatureFinding } from '../../src-shared/model/trust.ts';
import { keyFingerprint } from '../../src-main/trust/keys.ts';
import type { PolicyKey, SitePolicy } from '../../src-main/trust/policy.ts';
import { evaluatePolicy, failedRules, type PolicyFacts } from '../../src-main/trust/policy-rules.ts';

function key(name: string, role: PolicyKey['role']): PolicyKey {
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { name, role, keyId: keyFingerprint(publicKey), publicKey };
}
const exporter = key('exporter-1', 'exporter');
const officer = key('officer-1', 'officer');
const policy: SitePolicy = {
  path: 'policy.yaml',
  digest: `sha256:${'0'.repeat(64)}`,
  trustedKeys: [exporter, officer],
  require: { exporter: 1, officer: 1 },
  blockedImages: [],
  overwriteTags: true,
  requireImageSignatures: [],
};
const DIGEST = `sha256:${'a'.repeat(64)}`;
const statement = (k: PolicyKey, kind: SignatureFinding['kind'], extra: Partial<SignatureFinding> = {}): SignatureFinding => ({
  file: `signatures/${k.name}.sigstore.json`,
  keyId: k.keyId,
  ok: true,
  kind,
  ...extra,
});

function facts(extra: Partial<PolicyFacts>): PolicyFacts {
  return {
    now: new Date('2026-12-02T12:00:00Z'),
    created: '2026-12-02T00:00:00Z',
    channel: 'connected/images',
    sequence: 5,
    highestSequence: 4,
    pinned: true,
    signatures: [statement(exporter, 'export'), statement(officer, 'approval', { time: '2026-12-02T10:00:00Z' })],
    images: [{ name: 'app', source: 'quay.io/org/app:v1', digest: DIGEST, manifests: [DIGEST], local: false }],
    landings: [],
    targetKnown: false,
    tagChanges: [],
    ...extra,
  };
}

describe('the index pin', () => {
  it('counts signatures and approvals over a pinned ferry.json', () => {
    expect(failedRules(evaluatePolicy(policy, facts({})))).toEqual([]);
  });

  it('counts none over a ferry.json without the pin, and says why', () => {
    const verdict = evaluatePolicy(policy, facts({ pinned: false }));
    expect(failedRules(verdict)).toEqual(['signatures', 'approvals']);
    for (const id of ['signatures', 'approvals']) expect(verdict.rules.find((r) => r.id === id)?.details.join('\n')).toMatch(/no index pin .* none counts/);
  });

  it('still fails on a trusted rejection over an unpinned ferry.json', () => {
    expect(failedRules(evaluatePolicy(policy, facts({ pinned: false, signatures: [statement(officer, 'rejection')] })))).toContain('rejections');
  });

  it('lets no unpinned approval allow a rollback', () => {
    const signatures = [statement(exporter, 'export'), statement(officer, 'approval', { time: '2026-12-02T10:00:00Z', allowRollback: true })];
    expect(failedRules(evaluatePolicy(policy, facts({ sequence: 3, signatures })))).toEqual([]);
    expect(failedRules(evaluatePolicy(policy, facts({ sequence: 3, signatures, pinned: false })))).toEqual(['signatures', 'approvals', 'rollback']);
  });
});

describe('a bundle without a channel', () => {
  it('fails the rollback rule under a policy, saying it predates channels', () => {
    const { channel: _channel, ...rest } = facts({});
    const verdict = evaluatePolicy(policy, rest);
    expect(failedRules(verdict)).toEqual(['rollback']);
    expect(verdict.rules.find((r) => r.id === 'rollback')?.details[0]).toMatch(/names no channel: it predates channels.*re-export/);
  });
});

describe('an allowRollback approval', () => {
  it('allows a rollback only when its time would let it count as an approval', () => {
    const aged: SitePolicy = { ...policy, maxAge: { text: '30d', ms: 30 * 86_400_000 } };
    for (const time of ['2026-09-01T00:00:00Z', '2027-01-01T00:00:00Z', undefined]) {
      const approval = statement(officer, 'approval', { allowRollback: true, ...(time !== undefined ? { time } : {}) });
      const verdict = evaluatePolicy(aged, facts({ sequence: 3, signatures: [statement(exporter, 'export'), approval] }));
      expect(failedRules(verdict)).toEqual(['approvals', 'rollback']);
    }
  });
});
