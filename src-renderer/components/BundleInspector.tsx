/**
 * The officer's part of the import wizard's Inspect step (issue 17): the plan
 * notes the exporter's image set left in ferry.json (Deckhouse requirements
 * and disruptions, OpenShift notes), the images with full digests and their
 * detail, and the report to save or print. The same parts sit in the Review
 * screen's panel (ReviewPanel.tsx), so both read alike.
 */
import type { VerifyResult } from '../../src-shared/api/contract.ts';
import { SkippedReferences } from './SkippedReferences.tsx';
import type { BundleManifest } from '../../src-shared/model/bundle.ts';
import { formatBytes, formatLocalTime } from '../format.ts';
import { reportFileName, type ReportInput } from '../report-html.ts';
import { useInspector } from '../stores/inspector-store.ts';
import { ImageDetails } from './ImageDetails.tsx';
import { ReportActions } from './ReportActions.tsx';
import { verifyHeadline } from './VerifyReport.tsx';

/** The plan notes, in a list; nothing when there are none. */
export function PlanNotes({ notes }: { notes: readonly string[] }) {
  if (notes.length === 0) return null;
  return (
    <>
      <h3>Plan notes</h3>
      <p className="hint">What the export&apos;s plan noted: requirements, disruptions and what was left out.</p>
      <ul aria-label="Plan notes">
        {notes.map((note) => (
          <li key={note} className="problem-text">
            {note}
          </li>
        ))}
      </ul>
    </>
  );
}

/** The facts a report lists about a bundle, from its verified ferry.json. */
export function manifestFacts(manifest: BundleManifest | null): Array<[string, string]> {
  if (!manifest) return [['Bundle', 'a plain OCI layout (no ferry.json)']];
  return [
    ['Bundle id', manifest.bundleId],
    ['Sequence', String(manifest.sequence)],
    ...(manifest.channel !== undefined ? [['Channel', manifest.channel] as [string, string]] : []),
    ['Created', formatLocalTime(manifest.created)],
    ['Exported by', `${manifest.exporter.user}@${manifest.exporter.host} (Ferry ${manifest.exporter.ferryVersion})`],
    ['Form', manifest.form],
    ['Size', formatBytes(manifest.images.reduce((sum, image) => sum + image.size, 0))],
    ...(manifest.skipped?.length ? [['Skipped at export', `${manifest.skipped.length}: ${manifest.skipped.map((s) => s.reference).join(', ')}`] as [string, string]] : []),
  ];
}

/** Notes, images in detail and the report, for a bundle that passed `verification`. */
export function BundleInspector({ bundle, manifest, verification }: { bundle: string; manifest: BundleManifest | null; verification: VerifyResult | null }) {
  const notes = manifest?.imageSet.notes ?? [];
  const build = (): ReportInput => {
    const { imagesForReport, more } = useInspector.getState();
    return {
      title: 'Ferry inspection report',
      bundle,
      verification: verification ?? 'passed',
      verdict: verifyHeadline(verification?.ok ?? true, 'import'),
      facts: manifestFacts(manifest),
      notes,
      signatures: verification?.trust?.signatures ?? [],
      ...(verification?.trust?.policy ? { policy: verification.trust.policy } : {}),
      images: imagesForReport(),
      moreImages: more,
    };
  };
  return (
    <section aria-labelledby="inspector-heading">
      <PlanNotes notes={notes} />
      <SkippedReferences skipped={manifest?.skipped ?? []} />
      <h3 id="inspector-heading">Images in detail</h3>
      <p className="hint">Full digests; open an image for its platforms, layers and labels, read from the verified bundle.</p>
      <ImageDetails bundle={bundle} />
      <ReportActions build={build} fileName={reportFileName(manifest?.bundleId)} />
    </section>
  );
}
