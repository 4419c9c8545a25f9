/**
 * Jobs are typed per kind: `start('export', …)` takes only a body that ends
 * with an export result (tsc checks the `@ts-expect-error` lines: each must
 * stay an error), and the states it announces carry that result under that
 * kind, the error only when the job failed.
 */
import { describe, expect, it } from 'vitest';
import { jobOfKind, type ExportJobResult, type JobState, type VerifyJobResult } from '../../src-shared/api/contract.ts';
import { FerryError } from '../../src-shared/errors.ts';
import { EventHub } from '../../src-main/service/events.ts';
import { JobRunner } from '../../src-main/service/jobs.ts';

const exported: ExportJobResult = { bundleId: 'b1', bundle: '/media/usb/bundle', form: 'directory', images: 2, blobs: 5, bytes: 1024, parts: 0, alreadyComplete: false, seconds: 1 };
const verified: VerifyJobResult = { ok: true, bundle: '/media/usb/bundle', checks: [], images: 2, blobs: 5, bytes: 1024 };

describe('JobRunner', () => {
  it("accepts for each kind only a body that ends with that kind's result", () => {
    const runner = new JobRunner(new EventHub());
    // @ts-expect-error an export job cannot end with a verify report
    runner.start('export', 'wrong', async () => verified);
    // @ts-expect-error a verify job cannot end with an export summary
    runner.start('verify', 'wrong', async () => exported);
    // @ts-expect-error an import job cannot end with nothing
    runner.start('import', 'wrong', async () => undefined);
    // Never called: at run time an unknown kind has no state type to announce.
    const unknownKind = (): string =>
      // @ts-expect-error there is no such kind of job
      runner.start('copy', 'wrong', async () => exported);
    expect(typeof unknownKind).toBe('function');
    expect(
      runner
        .list()
        .map((job) => job.kind)
        .sort(),
    ).toEqual(['export', 'import', 'verify']);
    return runner.stopAll();
  });

  it('announces running, then the result under the kind, and the error only for a failed job', async () => {
    const events = new EventHub();
    const seen: JobState[] = [];
    events.on('job:state', (state) => seen.push(state));
    const runner = new JobRunner(events);
    const ok = runner.start('export', 'Export two images', async () => exported);
    const bad = runner.start('verify', 'Verify nothing', async () => {
      throw new FerryError('NOT_FOUND', 'no bundle at /nowhere');
    });
    const done = await runner.settled(ok);
    const failed = await runner.settled(bad);

    const asExport = done && jobOfKind(done, 'export');
    expect(asExport?.status).toBe('succeeded');
    if (asExport?.status === 'succeeded') expect(asExport.result.bundle).toBe('/media/usb/bundle');
    expect(done && jobOfKind(done, 'verify')).toBeUndefined();
    expect(done?.error).toBeUndefined();

    expect(failed).toMatchObject({ kind: 'verify', status: 'failed', error: { code: 'NOT_FOUND' } });
    expect(failed?.result).toBeUndefined();

    expect(seen.filter((s) => s.id === ok).map((s) => s.status)).toEqual(['running', 'succeeded']);
    expect(seen.filter((s) => s.id === bad).map((s) => s.status)).toEqual(['running', 'failed']);
    // Announced states are copies: a later change to the job does not rewrite what a listener already holds.
    expect(seen[0]?.status).toBe('running');
  });
});
