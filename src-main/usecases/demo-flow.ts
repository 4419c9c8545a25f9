/**
 * `ferry demo`'s whole story in one call (issue 17): with the sample flow
 * started (usecases/demo.ts), the real jobs run one after another — export
 * from the source registry into the folder standing in for the USB drive,
 * verify it, inspect what it holds, import it into the target registry and
 * write the mirror configuration — each told to the caller in plain words.
 * The same use cases the wizards call, so the CLI's walk and the app's walk
 * cannot drift apart.
 */
import { formatBytes } from '../../src-shared/units.ts';
import type { Catalog } from './catalog.ts';
import type { DemoSession } from './demo.ts';
import { runExport } from './export.ts';
import { runImport } from './import.ts';
import { inspectBundle } from './inspect-bundle.ts';
import { verificationFailed, verifyWithView } from './verify.ts';

/** The sample registries speak plain HTTP on 127.0.0.1, with no login. */
const DEMO_ACCESS = { plainHttp: true } as const;

/** What the walk did, for the caller's last lines and for tests. */
export interface DemoFlowOutcome {
  bundle: string;
  /** Each sample image's reference in the target registry. */
  imported: Array<{ source: string; destination: string; digest: string }>;
  /** The mirror configuration files written, relative to the mirror folder. */
  mirrorFiles: string[];
  /** Where the receipt was written. */
  receipt?: string;
}

/** Runs export → verify → inspect → import → mirror configuration over a started sample flow, telling `step` each one. */
export async function runDemoFlow(session: DemoSession, catalog: Catalog, step: (line: string) => void, signal?: AbortSignal): Promise<DemoFlowOutcome> {
  const { state } = session;
  const context = signal ? { signal } : {};
  const bundle = state.drive;

  step('');
  step(`1. Export (the connected side): writing the ${state.images.length} images to ${bundle}, the folder standing in for the USB drive…`);
  const exported = await runExport({ target: bundle, references: state.images.map((image) => image.reference), registry: DEMO_ACCESS }, catalog, context);
  const { summary } = exported;
  step(
    `   Wrote ${summary.images.length} images, ${summary.blobs} blobs, ${formatBytes(summary.bytes)}${summary.savedByDedup > 0 ? ` (${formatBytes(summary.savedByDedup)} saved: shared layers travel once)` : ''}.`,
  );

  step('');
  step('2. Verify (the disconnected side): checking every byte of the bundle against its digest…');
  const verified = await verifyWithView(bundle, context);
  if (!verified.view) throw verificationFailed(verified.report, 'the sample flow stops here');
  const passed = verified.report.checks.filter((check) => check.ok).length;
  step(`   Every check passed (${passed} checks, ${verified.report.blobs} blobs, ${formatBytes(verified.report.bytes)}).`);

  step('');
  step('3. Inspect: what the bundle holds and where each image will land…');
  const inspection = inspectBundle(verified.view, { target: state.target.address }, catalog);
  for (const image of inspection.images) {
    // A single image's platform is in its config, not its manifest: the sample's own list says it.
    const platforms = image.platforms.length > 0 ? image.platforms : (state.images.find((sample) => sample.digest === image.digest)?.platforms ?? []);
    step(`   ${image.source}  ${platforms.join(', ')}  ${formatBytes(image.size)}  → ${image.destination ?? state.target.address}`);
  }

  step('');
  step(`4. Import: pushing the bundle into the target registry ${state.target.url} (verified again before the first write)…`);
  const imported = await runImport({ bundle, target: state.target.address, registry: DEMO_ACCESS, mirrorConfigDir: state.mirrorFolder }, catalog, context);
  step(`   Pushed ${imported.summary.images.length} images: ${imported.summary.blobs.copied} blobs uploaded, ${formatBytes(imported.summary.bytesPushed)}.`);
  if (imported.receipt !== undefined) step(`   The receipt for the connected side (what the target now holds): ${imported.receipt}`);

  step('');
  step(`5. Mirror configuration: the files that make clients pull the images from the target registry, written to ${state.mirrorFolder}:`);
  for (const file of imported.mirrorConfig) step(`   ${file}`);

  return {
    bundle,
    imported: imported.summary.images.map((image) => ({ source: image.source, destination: image.destination, digest: image.digest })),
    mirrorFiles: imported.mirrorConfig,
    ...(imported.receipt !== undefined ? { receipt: imported.receipt } : {}),
  };
}
