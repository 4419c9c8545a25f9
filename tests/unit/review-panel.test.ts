/** The Review step's report, rendered on the server: a moved tag is marked and said in words, a failed rule reads "Fail", the verdict names why a push is blocked. */
import { createElement } from 'react';
import { renderToString } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { REVIEW_ROWS_SHOWN, ReviewPanel } from '../../src-renderer/components/ReviewPanel.tsx';
import type { ReviewReport } from '../../src-shared/api/contract.ts';

const OLD = `sha256:${'a'.repeat(64)}`;
const NEW = `sha256:${'b'.repeat(64)}`;
const OTHER = `sha256:${'c'.repeat(64)}`;

function report(patch: Partial<ReviewReport> = {}): ReviewReport {
  return {
    bundle: '/media/usb/bundle',
    bundleId: '0b6f7c1e-0000-4000-8000-000000000001',
    trust: {
      summary: 'policy failed: approvals',
      signed: true,
      signatures: [{ file: 'signatures/exporter-1.sigstore.json', keyId: OTHER, keyName: 'exporter-1', role: 'exporter', kind: 'export', ok: true }],
      policy: {
        path: '/var/lib/ferry/policy.yaml',
        digest: OTHER,
        ok: false,
        rules: [
          { id: 'signatures', title: 'Exporter signatures', ok: true, details: ['signed by exporter-1'] },
          { id: 'approvals', title: 'Officer approvals', ok: false, details: ['needs 1 officer approval, has 0'] },
        ],
      },
    },
    changes: [
      { repository: 'mirror.local/imported/app', tag: '1.0', digest: NEW, previous: OLD, status: 'moved', source: 'registry.example.com/app:1.0' },
      { repository: 'mirror.local/imported/db', tag: '2.0', digest: OTHER, status: 'added', source: 'registry.example.com/db:2.0' },
    ],
    sources: [{ registry: 'registry.example.com', images: 2, bytes: 2048 }],
    bytes: 2048,
    notes: ['Deckhouse 1.60 requires Kubernetes 1.27'],
    referrers: [{ image: 'registry.example.com/app:1.0', digest: NEW, signature: true, attestation: false, sbom: true }],
    pushAllowed: false,
    blockedReason: 'the policy failed: Officer approvals',
    ...patch,
  };
}

/** The markup with React's text-node separators taken out, so sentences read whole. */
const render = (value: ReviewReport): string => renderToString(createElement(ReviewPanel, { report: value })).replaceAll('<!-- -->', '');

describe('ReviewPanel', () => {
  it('marks a moved tag by class and in words, with both digests in full', () => {
    const html = render(report());
    const movedRow = /<tr class="row-moved"[^>]*>(.*?)<\/tr>/s.exec(html)?.[1] ?? '';
    expect(movedRow).toContain('Moved');
    expect(movedRow).toContain(`from ${OLD} to ${NEW}`);
    expect(html.match(/row-moved/g)).toHaveLength(1);
    expect(html).toContain('1 added, 1 moved, 0 unchanged');
  });

  it('shows the verdict rule by rule and why the push is blocked', () => {
    const html = render(report());
    expect(html).toContain('Push blocked');
    expect(html).toContain('the policy failed: Officer approvals');
    expect(html).toMatch(/Officer approvals<\/th><td>✗ Fail<\/td>/);
    expect(html).toMatch(/Exporter signatures<\/th><td>✓ Pass<\/td>/);
    expect(html).toContain('needs 1 officer approval, has 0');
    expect(html).toContain('Deckhouse 1.60 requires Kubernetes 1.27');
  });

  it('says when there is no policy and the push is allowed', () => {
    const html = render(report({ pushAllowed: true, trust: { summary: 'unsigned', signed: false, signatures: [] } }));
    expect(html).toContain('Push allowed');
    expect(html).toContain('This site has no policy');
    expect(html).toContain('the bundle is unsigned');
    expect(html).not.toContain('Push blocked');
  });

  it('keeps a 10,000-tag bundle readable: every moved tag first, the rest cut and counted', () => {
    const many = Array.from({ length: 10_000 }, (_, i) => ({
      repository: `mirror.local/imported/app-${i}`,
      tag: '1.0',
      digest: NEW,
      status: 'unchanged' as const,
      source: `registry.example.com/app-${i}:1.0`,
    }));
    const last = { repository: 'mirror.local/imported/late', tag: '9.9', digest: NEW, previous: OLD, status: 'moved' as const, source: 'registry.example.com/late:9.9' };
    const html = render(report({ changes: [...many, last] }));
    expect(html.match(/<tr[ >]/g)?.length).toBeLessThan(REVIEW_ROWS_SHOWN + 20);
    expect(html).toContain('mirror.local/imported/late');
    expect(html).toContain(`${10_001 - REVIEW_ROWS_SHOWN} more added or unchanged tags not shown.`);
    expect(html).toContain('0 added, 1 moved, 10000 unchanged');
  });
});
