/**
 * Cancelling a long import through the service: the blobs still queued never
 * start (no request, no "failed" state for them), the job ends as cancelled,
 * and running it again resumes rather than starting over.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { jobOfKind } from '../../src-shared/api/contract.ts';
import type { BlobProgress } from '../../src-shared/model/oci.ts';
import { createService, type Service } from '../../src-main/service.ts';
import { DEFAULT_IMPORT_CONCURRENCY } from '../../src-main/transfer/import.ts';
import { emptyAuthFile } from '../harness/ferry-access.ts';
import { writeManyBlobsLayout } from '../harness/many-blobs.ts';
import { startRegistry, type RunningRegistry } from '../harness/registry.ts';
import { Teardown } from '../harness/teardown.ts';

let registry: RunningRegistry;
let work: string;
let service: Service;
let layout: string;

const teardown = new Teardown();

beforeAll(async () => {
  registry = teardown.add(await startRegistry({ mode: 'anonymous' }), (started) => started.stop());
  work = await mkdtemp(join(tmpdir(), 'ferry-service-cancel-'));
  layout = join(work, 'layout');
  await writeManyBlobsLayout(layout, { images: 20, layersPerImage: 50 });
  service = teardown.add(createService({ mode: 'browser', catalogPath: join(work, 'catalog.sqlite') }), (created) => created.close());
});

afterAll(async () => {
  await teardown.run();
  if (work) await rm(work, { recursive: true, force: true });
});

it('a cancelled 1,000-blob import stops starting blobs, fails none that never ran, and a rerun resumes', async () => {
  const states: BlobProgress[] = [];
  const off = service.on('job:blobs', ({ blobs }) => states.push(...blobs));
  const input = { bundle: layout, target: `${registry.host}/cancel`, registry: { plainHttp: true, authFile: emptyAuthFile } };
  const { jobId } = await service['import:run'](input);
  // Cancel once a few dozen blobs are through: most of the queue is still waiting.
  for (let i = 0; i < 600 && states.filter((s) => s.state === 'finished').length < 30; i++) await new Promise((r) => setTimeout(r, 50));
  expect(states.filter((s) => s.state === 'finished').length).toBeGreaterThanOrEqual(30);
  await service['job:cancel']({ jobId });
  const job = await service.settled(jobId);
  off();
  expect(job?.status).toBe('cancelled');
  const finished = new Set(states.filter((s) => s.state === 'finished').map((s) => s.digest));
  const failed = states.filter((s) => s.state === 'failed');
  // Only transfers running at the moment of the cancel may end as failed; the queued hundreds never start.
  expect(failed.length).toBeLessThanOrEqual(DEFAULT_IMPORT_CONCURRENCY);
  expect(finished.size).toBeLessThan(1_000);

  const rerun = await service['import:run'](input);
  const done = await service.settled(rerun.jobId);
  expect(done?.status, JSON.stringify(done?.error)).toBe('succeeded');
  const result = done && jobOfKind(done, 'import')?.result;
  expect(result?.blobs.skipped ?? 0).toBeGreaterThanOrEqual(finished.size);
}, 180_000);
