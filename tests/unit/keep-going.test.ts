/**
 * What a keep-going export drops when blobs fail (transfer/keep-going.ts):
 * every image that needs a failed blob, the referrers of a dropped image, a
 * referrer whose own blob failed, and nothing else; which failures count as
 * one image's fault and which stop the job.
 */
import { describe, expect, it } from 'vitest';
import { FerryError } from '../../src-shared/errors.ts';
import type { ImageGraph } from '../../src-main/oci/image-graph.ts';
import { dropFailed, isImageFault } from '../../src-main/transfer/keep-going.ts';
import { ProgressTracker } from '../../src-main/transfer/progress.ts';
import type { DiscoveredReferrer } from '../../src-main/transfer/referrers.ts';

const digest = (n: number): string => `sha256:${String(n).padStart(64, '0')}`;

/** A graph as dropFailed reads it: reference, root digest and blobs. */
function graph(repository: string, root: number, blobs: number[], tag = 'v1'): ImageGraph {
  return { reference: { registry: 'r.example', repository, tag }, root: { digest: digest(root) }, blobs: blobs.map((n) => ({ digest: digest(n), size: n, mediaType: 'x' })) } as unknown as ImageGraph;
}

describe('dropFailed', () => {
  const app = graph('app', 1, [10, 11]);
  const db = graph('db', 2, [11, 12]);
  const web = graph('web', 3, [13]);
  const appSignature: DiscoveredReferrer = { graph: graph('app', 4, [14], 'sha256-1.sig'), subject: digest(1), kind: 'signature' };
  const webSbom: DiscoveredReferrer = { graph: graph('web', 5, [15], 'sha256-3.sbom'), subject: digest(3), kind: 'sbom' };

  it('drops every image needing a failed blob (a shared one drops both), their referrers, and keeps the rest', () => {
    const failures = new Map<string, unknown>([[digest(11), new FerryError('REGISTRY_ERROR', 'GET blob returned 500')]]);
    const left = dropFailed({ subjects: [app, db, web], referrers: [appSignature, webSbom] }, failures);
    expect(left.subjects).toEqual([web]);
    expect(left.referrers).toEqual([webSbom]);
    expect(left.skipped).toEqual([
      { reference: 'r.example/app:v1', reason: 'GET blob returned 500', stage: 'copy' },
      { reference: 'r.example/db:v1', reason: 'GET blob returned 500', stage: 'copy' },
    ]);
  });

  it('drops a referrer whose own blob failed, naming what it belongs to, and keeps its image', () => {
    const failures = new Map<string, unknown>([[digest(15), new FerryError('DIGEST_MISMATCH', 'content digest does not match\nsecond line')]]);
    const left = dropFailed({ subjects: [app, web], referrers: [appSignature, webSbom] }, failures);
    expect(left.subjects).toEqual([app, web]);
    expect(left.referrers).toEqual([appSignature]);
    expect(left.skipped).toEqual([{ reference: 'r.example/web:sha256-3.sbom', reason: `sbom of ${digest(3)}: content digest does not match`, stage: 'copy' }]);
  });
});

describe('isImageFault', () => {
  it('skips what a registry or the bytes did wrong, never a full disk, a cancel or a bug', () => {
    for (const code of ['NOT_FOUND', 'DENIED', 'UNAUTHORIZED', 'REGISTRY_ERROR', 'NETWORK_ERROR', 'DIGEST_MISMATCH', 'INVALID_MANIFEST'] as const)
      expect(isImageFault(new FerryError(code, 'x'))).toBe(true);
    for (const code of ['IO_ERROR', 'CANCELLED', 'INTERNAL', 'INVALID_ARGUMENT'] as const) expect(isImageFault(new FerryError(code, 'x'))).toBe(false);
    expect(isImageFault(new Error('a bug'))).toBe(false);
  });
});

describe('progress of a keep-going export that plans again', () => {
  it('counts afresh after the second plan, so the bar ends at 100% of what the bundle carries', () => {
    const tracker = new ProgressTracker(() => undefined);
    tracker.onEvent({ type: 'planned', images: 2, blobs: 3, bytes: 300 });
    tracker.onEvent({ type: 'blob', progress: { digest: 'a', state: 'finished', complete: 100, total: 100 } });
    tracker.onEvent({ type: 'blob', progress: { digest: 'b', state: 'finished', complete: 100, total: 100 } });
    tracker.onEvent({ type: 'blob', progress: { digest: 'c', state: 'failed', complete: 10, total: 100 } });
    // The image that needed c is dropped; a and b are found on disk by the second pass.
    tracker.onEvent({ type: 'planned', images: 1, blobs: 1, bytes: 100 });
    tracker.onEvent({ type: 'blob', progress: { digest: 'a', state: 'skipped', complete: 100, total: 100 } });
    expect(tracker.snapshot()).toMatchObject({ completeBytes: 100, totalBytes: 100, blobsDone: 1, blobsTotal: 1 });
  });
});
