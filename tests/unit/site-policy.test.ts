/**
 * trust/policy.ts and trust/policy-rules.ts: the site policy file is read
 * strictly (unknown keys, bad values and unreadable keys refused naming the
 * line; digest of the exact bytes), and each rule passes and fails on plain facts.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SignatureFinding } from '../../src-shared/model/trust.ts';
import { sha256Digest } from '../../src-main/oci/digest.ts';
import { defaultPolicyPath, parseSitePolicy, readSitePolicy, type SitePolicy } from '../../src-main/trust/policy.ts';
import { evaluatePolicy, failedRules, globExpression, type PolicyFacts, type PolicyImage } from '../../src-main/trust/policy-rules.ts';

const pem = (): string => generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
const exporterPem = pem();
const officerPem = pem();
const officer2Pem = pem();
let root = '';

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'ferry-policy-'));
  await writeFile(join(root, 'officer.pub'), officerPem);
});
afterAll(async () => {
  if (root !== '') await rm(root, { recursive: true, force: true });
});

/** A policy YAML with the three keys (one inline, one by file) and the given rules appended. */
function policyYaml(rules: string): string {
  const indent = (text: string): string => text.trim().split('\n').join('\n      ');
  return `trustedKeys:
  - name: exporter-1
    role: exporter
    publicKey: |
      ${indent(exporterPem)}
  - name: officer-1
    role: officer
    publicKey: officer.pub
  - name: officer-2
    role: officer
    publicKey: |
      ${indent(officer2Pem)}
${rules}`;
}

async function load(rules: string): Promise<SitePolicy> {
  const file = join(root, `p-${Math.random().toString(36).slice(2)}.yaml`);
  const text = policyYaml(rules);
  await writeFile(file, text);
  return (await readSitePolicy(file)) as SitePolicy;
}

describe('reading the policy', () => {
  it('reads every key, fills defaults, and digests the exact bytes', async () => {
    const policy = await load('require:\n  exporter: 1\n  officer: 1\nmaxAge: 30d\n');
    expect(policy.trustedKeys.map((k) => [k.name, k.role])).toEqual([
      ['exporter-1', 'exporter'],
      ['officer-1', 'officer'],
      ['officer-2', 'officer'],
    ]);
    expect(policy.trustedKeys[1]?.keyId).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(policy.require).toEqual({ exporter: 1, officer: 1 });
    expect(policy.maxAge).toEqual({ text: '30d', ms: 30 * 86_400_000 });
    expect(policy.overwriteTags).toBe(true);
    expect(policy.allowedSources).toBeUndefined();
    // officer-1's key lives in officer.pub: its fingerprint is part of the digest, so replacing that file changes the digest too.
    const bytes = Buffer.from(policyYaml('require:\n  exporter: 1\n  officer: 1\nmaxAge: 30d\n'));
    expect(policy.digest).toBe(sha256Digest(Buffer.concat([bytes, Buffer.from(`\n# key officer-1 ${policy.trustedKeys[1]?.keyId ?? ''}`)])));
    expect(policy.digest).not.toBe(sha256Digest(bytes));
  });

  it('changes its digest when a key kept in a .pub file is replaced, the policy text unchanged', async () => {
    const before = await load('maxAge: 30d\n');
    await writeFile(join(root, 'officer.pub'), pem());
    try {
      const after = await load('maxAge: 30d\n');
      expect(after.digest).not.toBe(before.digest);
      expect(after.trustedKeys[1]?.keyId).not.toBe(before.trustedKeys[1]?.keyId);
    } finally {
      await writeFile(join(root, 'officer.pub'), officerPem);
    }
  });

  it.each([
    ['an unknown key, by line', 'overwriteTag: false\n', /:19:1: overwriteTag is not a known key/],
    ['a bad max age', 'maxAge: 30 days\n', /maxAge must be a number and a unit/],
    ['an unsatisfiable require', 'require:\n  exporter: 2\n', /require.exporter asks for 2 exporter key\(s\) but trustedKeys lists 1/],
    ['an image signer that is not trusted', 'requireImageSignatures: [vendor]\n', /requireImageSignatures\[0\] names "vendor"/],
    ['a target with a scheme', 'allowedTargets: ["https://mirror"]\n', /allowedTargets\[0\] must be a registry/],
  ])('refuses %s', async (_what, rules, message) => {
    await expect(load(rules)).rejects.toThrow(message);
  });

  it('refuses a private key, an unreadable key file and a key listed twice, naming the key', async () => {
    const privatePem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const bytes = (key: string): Buffer => Buffer.from(`trustedKeys:\n  - name: k\n    role: officer\n    publicKey: ${JSON.stringify(key)}\n`);
    await expect(parseSitePolicy(bytes(privatePem), join(root, 'x.yaml'))).rejects.toThrow(/trusted key "k": publicKey must be a public key/);
    await expect(parseSitePolicy(bytes('missing.pub'), join(root, 'x.yaml'))).rejects.toThrow(/x\.yaml:4:\d+: trusted key "k"/);
    const twice = Buffer.from(`trustedKeys:\n  - {name: a, role: officer, publicKey: officer.pub}\n  - {name: b, role: exporter, publicKey: officer.pub}\n`);
    await expect(parseSitePolicy(twice, join(root, 'x.yaml'))).rejects.toThrow(/"b" is the same public key as "a"/);
  });

  it('has no policy by default when the file is absent, and refuses a named file that is absent', async () => {
    expect(defaultPolicyPath(join(root, 'catalog.db'))).toBe(join(root, 'policy.yaml'));
    await expect(readSitePolicy(undefined, join(root, 'catalog.db'))).resolves.toBeUndefined();
    await expect(readSitePolicy(join(root, 'none.yaml'))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});

describe('globs', () => {
  it.each([
    ['quay.io/*', 'quay.io/app', true],
    ['quay.io/*', 'quay.io/org/app', false],
    ['quay.io/**', 'quay.io/org/app', true],
    ['registry.local:5000/team-*/app', 'registry.local:5000/team-a/app', true],
    ['quay.io/org', 'quay.io/org2', false],
  ])('%s on %s is %s', (pattern, name, expected) => {
    expect(globExpression(pattern).test(name)).toBe(expected);
  });
});

const NOW = new Date('2026-12-02T12:00:00Z');
const DIGEST_A = `sha256:${'a'.repeat(64)}`;
const DIGEST_B = `sha256:${'b'.repeat(64)}`;
const image: PolicyImage = { name: 'app', source: 'quay.io/org/app:v1', digest: DIGEST_A, manifests: [DIGEST_A], local: false };

function finding(key: string, kind: SignatureFinding['kind'], extra: Partial<SignatureFinding> = {}): SignatureFinding {
  return { file: `signatures/${kind}-${key}.sigstore.json`, keyId: key, ok: true, kind, ...extra };
}

describe('evaluating', () => {
  let policy: SitePolicy;
  let ids: { exporter: string; officer: string; officer2: string };
  beforeAll(async () => {
    policy = await load(
      'require:\n  exporter: 1\n  officer: 1\nmaxAge: 30d\nallowedSources: ["quay.io/**"]\nblockedImages: ["quay.io/org/bad", "' +
        DIGEST_B +
        '"]\nallowedTargets: ["mirror.local:5000/ocp"]\noverwriteTags: false\n',
    );
    const [e, o, o2] = policy.trustedKeys.map((k) => k.keyId);
    ids = { exporter: e ?? '', officer: o ?? '', officer2: o2 ?? '' };
  });
  const facts = (extra: Partial<PolicyFacts> = {}): PolicyFacts => ({
    now: NOW,
    created: '2026-12-01T12:00:00Z',
    channel: 'connected/images',
    sequence: 5,
    highestSequence: 4,
    pinned: true,
    signatures: [finding(ids.exporter, 'export'), finding(ids.officer, 'approval', { time: '2026-12-02T10:00:00Z' })],
    images: [image],
    landings: [{ repository: 'mirror.local:5000/ocp/org/app', tag: 'v1', digest: DIGEST_A, image: 'app' }],
    tagChanges: [{ repository: 'mirror.local:5000/ocp/org/app', tag: 'v1', digest: DIGEST_A, status: 'added', source: image.source }],
    ...extra,
  });

  it('passes a signed, approved bundle that keeps every rule, in rule order', () => {
    const verdict = evaluatePolicy(policy, facts());
    expect(failedRules(verdict)).toEqual([]);
    expect(verdict.rules.map((r) => r.id)).toEqual([
      'signatures',
      'approvals',
      'rejections',
      'max-age',
      'rollback',
      'allowed-sources',
      'blocked-images',
      'allowed-targets',
      'overwrite-tags',
      'image-signatures',
    ]);
    expect(verdict.rules[0]?.details[0]).toBe('signed by exporter-1 (1 of 1 required)');
    expect(verdict.digest).toBe(policy.digest);
  });

  it.each<[string, () => Partial<PolicyFacts>, string[]]>([
    ['unsigned', () => ({ signatures: [finding(ids.officer, 'approval', { time: '2026-12-02T10:00:00Z' })] }), ['signatures']],
    [
      'a signature that did not verify',
      () => ({ signatures: [{ file: 'signatures/x.sigstore.json', keyId: ids.exporter, ok: false, problem: 'bad' }, finding(ids.officer, 'approval', { time: '2026-12-02T10:00:00Z' })] }),
      ['signatures'],
    ],
    ['exporter key alone (two-person rule)', () => ({ signatures: [finding(ids.exporter, 'export')] }), ['approvals']],
    [
      'an officer key that also signed as exporter',
      () => ({ signatures: [finding(ids.officer, 'export'), finding(ids.officer, 'approval', { time: '2026-12-02T10:00:00Z' })] }),
      ['signatures', 'approvals'],
    ],
    ['a rejection by a trusted officer', () => ({ signatures: [...facts().signatures, finding(ids.officer2, 'rejection', { note: 'no' })] }), ['rejections']],
    ['an approval older than maxAge', () => ({ signatures: [finding(ids.exporter, 'export'), finding(ids.officer, 'approval', { time: '2026-10-01T10:00:00Z' })] }), ['approvals']],
    ['an expired bundle', () => ({ created: '2026-10-01T00:00:00Z' }), ['max-age']],
    ['a bundle past its expires', () => ({ expires: '2026-12-02T00:00:00Z' }), ['max-age']],
    ['a replayed older sequence', () => ({ sequence: 3 }), ['rollback']],
    ['an equal sequence of another bundle', () => ({ sequence: 4 }), ['rollback']],
    ['a source outside allowedSources', () => ({ images: [{ ...image, source: 'docker.io/library/nginx:1' }] }), ['allowed-sources']],
    ['a blocked repository', () => ({ images: [{ ...image, source: 'quay.io/org/bad:v2' }] }), ['blocked-images']],
    ['a blocked digest inside the graph', () => ({ images: [{ ...image, manifests: [DIGEST_A, DIGEST_B] }] }), ['blocked-images']],
    ['a target outside allowedTargets', () => ({ landings: [{ repository: 'mirror.local:5000/ocpx/app', digest: DIGEST_A, image: 'app' }] }), ['allowed-targets']],
    [
      'a moved tag',
      () => ({ tagChanges: [{ repository: 'mirror.local:5000/ocp/org/app', tag: 'v1', digest: DIGEST_A, previous: DIGEST_B, status: 'moved', source: image.source }] }),
      ['overwrite-tags'],
    ],
    ['a tag whose state is unknown', () => ({ tagProblems: ['mirror.local:5000/ocp/org/app:v1: 503'] }), ['overwrite-tags']],
  ])('fails %s', (_what, extra, failed) => {
    expect(failedRules(evaluatePolicy(policy, facts(extra())))).toEqual(failed);
  });

  it('leaves the target rules to the import when no target is given', () => {
    const verdict = evaluatePolicy(policy, facts({ targetKnown: false, landings: [], tagChanges: [], tagProblems: ['unreadable'] }));
    expect(failedRules(verdict)).toEqual([]);
    expect(verdict.rules.find((r) => r.id === 'allowed-targets')?.details[0]).toMatch(/no import target/);
  });

  it('says the tags were not compared when a policy that lets them move skipped the reads', async () => {
    const moving = await load('overwriteTags: true\n');
    const verdict = evaluatePolicy(moving, facts({ tagsCompared: false, tagChanges: [] }));
    expect(verdict.rules.find((r) => r.id === 'overwrite-tags')).toMatchObject({ ok: true, details: ['the policy lets tags move: not compared'] });
  });

  it('lets an officer allow a rollback', () => {
    const allowed = facts({ sequence: 3, signatures: [finding(ids.exporter, 'export'), finding(ids.officer, 'approval', { time: '2026-12-02T10:00:00Z', allowRollback: true })] });
    expect(failedRules(evaluatePolicy(policy, allowed))).toEqual([]);
  });

  it('requires image signatures by name, and fails when none could be checked', async () => {
    const signing = await load('requireImageSignatures: [officer-2]\n');
    expect(failedRules(evaluatePolicy(signing, facts({ imageSignatures: [{ image: 'app', digest: DIGEST_A, signedBy: ['officer-2'], problems: [] }] })))).toEqual([]);
    expect(failedRules(evaluatePolicy(signing, facts({ imageSignatures: [{ image: 'app', digest: DIGEST_A, signedBy: [], problems: ['no signature'] }] })))).toEqual(['image-signatures']);
    expect(failedRules(evaluatePolicy(signing, facts()))).toEqual(['image-signatures']);
  });
});
