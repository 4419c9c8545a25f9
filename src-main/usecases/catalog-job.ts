/**
 * A job recorded in the catalog's journal: started (or resumed, for the same
 * kind and key), its finished items marked as they complete, and closed with
 * its outcome. It joins the catalog and the transfer engine, so it lives in
 * the use-case layer: neither of them knows the other.
 */
import type { Catalog } from '../catalog/index.ts';
import type { TransferJournal } from '../transfer/blob-mover.ts';

/** Runs `body` as a catalog job; the journal passed to it persists finished items. */
export async function withCatalogJob<T extends { bundleId?: string | undefined }>(
  catalog: Catalog,
  kind: 'export' | 'import',
  key: string,
  params: Record<string, unknown>,
  body: (journal: TransferJournal) => Promise<T>,
): Promise<T> {
  const job = catalog.startJob(kind, key, params);
  const done = catalog.doneItems(job.id);
  const journal: TransferJournal = {
    isDone: (item) => done.has(item),
    markDone: (item, bytes) => {
      done.add(item);
      catalog.markItem(job.id, item, 'done', bytes);
    },
  };
  try {
    const result = await body(journal);
    catalog.finishJob(job.id, 'succeeded', result.bundleId ?? undefined);
    return result;
  } catch (error) {
    catalog.finishJob(job.id, error instanceof Error && (error as { code?: unknown }).code === 'CANCELLED' ? 'cancelled' : 'failed');
    throw error;
  }
}
