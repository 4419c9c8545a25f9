/**
 * What every import starts with, whatever its destination (a registry,
 * transfer/import.ts; a store folder, usecases/import-to-store.ts): the
 * request and summary they share, and startImport — verify the whole bundle,
 * hand over the verified view, plan. Kept apart from the registry import so
 * an import into a store folder loads no registry client.
 */
import type { TransferEvent } from '../../src-shared/model/progress.ts';
import type { VerifiedBundle } from '../bundle/bundle-view.ts';
import { verificationFailed, verifyBundleDetailed, type VerifyOptions } from '../bundle/verify.ts';
import { formatReference } from '../oci/reference.ts';
import type { RegistryClient } from '../oci/registry/client.ts';
import type { MoverCounts, TransferJournal } from './blob-mover.ts';
import { planImport, type ImportPlan, type ImportTarget } from './import-plan.ts';

/** Eight blobs in flight from a directory bundle: a USB 3 drive and a LAN registry both stay busy. */
export const DEFAULT_IMPORT_CONCURRENCY = 8;

/** What to import and where. */
export interface ImportRequest {
  bundle: string;
  target: ImportTarget;
  dryRun?: boolean;
  concurrency?: number;
  signal?: AbortSignal;
  onEvent?: (event: TransferEvent) => void;
  /** Bytes read by the verification that runs before the first write (for progress). */
  onVerifyBytes?: (bytes: number) => void;
  /** The bytes that verification will read, told once before it starts (for progress). */
  onVerifyTotal?: (bytes: number) => void;
  /** The catalog's job journal: blobs an interrupted run already pushed are not asked about again. */
  journal?: TransferJournal;
  /**
   * Told the verified view once verification passed, and awaited before anything is planned or written: the use case
   * records the catalog from it, the app keeps it for the wizard; tests change the media here, as a hostile device could.
   */
  onVerified?: (view: VerifiedBundle) => void | Promise<void>;
  /**
   * Awaited once the plan is made and before the first write (not in a dry run): the use case checks
   * the registry can take the plan there (usecases/import-preflight.ts) and throws when it cannot.
   */
  preflight?: (plan: ImportPlan, client: RegistryClient) => Promise<void>;
}

/** The result of an import (or of its dry run). */
export interface ImportSummary {
  bundle: string;
  bundleId: string | undefined;
  form: VerifiedBundle['form'];
  target: string;
  images: Array<{ name: string; source: string; destination: string; digest: string }>;
  blobs: MoverCounts;
  bytesPushed: number;
  manifestsPushed: number;
  mappings: ImportPlan['mappings'];
  dryRun: boolean;
  seconds: number;
  /** Every digest (blobs and manifests) the target now holds for this bundle: what a receipt records. */
  present: string[];
}

/** An import verified and planned, before anything is written: what every import destination (a registry, a store folder) starts from. */
export interface StartedImport {
  view: VerifiedBundle;
  plan: ImportPlan;
  /** The summary with nothing written yet; the destination fills in the counts. */
  summary: ImportSummary;
}

/**
 * Verifies the whole bundle (nothing is written to `destination` when it
 * fails), hands the verified view to onVerified, plans the import and
 * starts its summary. `beforePlanned` runs between the plan and the
 * `planned` event (the registry import checks an incremental bundle's
 * left-out blobs there). `keepBlob` keeps each blob's bytes as verification
 * reads them (the store import stages them in the store, unlinked). Shared by importBundle and the store import, so
 * both follow one order.
 */
export async function startImport(
  request: ImportRequest,
  destination: string,
  beforePlanned?: (view: VerifiedBundle, plan: ImportPlan) => Promise<void>,
  keepBlob?: VerifyOptions['keepBlob'],
): Promise<StartedImport> {
  const { report, view } = await verifyBundleDetailed(request.bundle, {
    ...(keepBlob ? { keepBlob } : {}),
    ...(request.signal ? { signal: request.signal } : {}),
    ...(request.onVerifyBytes ? { onBytes: request.onVerifyBytes } : {}),
    ...(request.onVerifyTotal ? { onTotal: request.onVerifyTotal } : {}),
  });
  if (!report.ok || !view) throw verificationFailed(report, `nothing was written to ${destination}`);
  await request.onVerified?.(view);
  const plan = planImport(view, request.target);
  await beforePlanned?.(view, plan);
  request.onEvent?.({ type: 'planned', images: plan.images.length, blobs: [...plan.blobRepositories.values()].reduce((n, repos) => n + repos.length, 0), bytes: plan.bytes });
  const target = request.target.prefix ? `${request.target.registry}/${request.target.prefix}` : request.target.registry;
  const summary: ImportSummary = {
    bundle: request.bundle,
    bundleId: view.manifest?.bundleId,
    form: view.form,
    target,
    images: plan.images.map((image) => ({ name: image.name, source: image.source, destination: formatReference(image.destination), digest: image.digest })),
    blobs: { copied: 0, skipped: 0, mounted: 0 },
    bytesPushed: 0,
    manifestsPushed: 0,
    mappings: plan.mappings,
    dryRun: request.dryRun === true,
    seconds: 0,
    present: [],
  };
  return { view, plan, summary };
}
