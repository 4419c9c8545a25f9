/**
 * The references a keep-going export left out, each with why, in the
 * operator's words: on the export plan (what "Continue without these" will
 * leave out), the export's Done page, the verify report and the inspector of
 * a partial bundle, and the import's summary. One list, so every screen words
 * a skipped reference the same way.
 */
import type { BundleSkipped } from '../../src-shared/model/bundle.ts';

/** Why a reference was skipped, by the stage it failed at. */
const STAGE_WORDS: Record<BundleSkipped['stage'], string> = {
  plan: 'could not be found or read',
  copy: 'failed while downloading',
};

/** "N references were skipped at export" (or the heading given) and the list; nothing when none was skipped. */
export function SkippedReferences({ skipped, heading }: { skipped: readonly BundleSkipped[]; heading?: string }) {
  if (skipped.length === 0) return null;
  const title = heading ?? `${skipped.length} reference${skipped.length === 1 ? ' was' : 's were'} skipped at export: this bundle does not carry ${skipped.length === 1 ? 'it' : 'them'}.`;
  return (
    <div className="notice" role="note" aria-label="Skipped references">
      <p className="notice-title">{title}</p>
      <ul>
        {skipped.map((s) => (
          <li key={`${s.stage} ${s.reference}`}>
            <span className="mono">{s.reference}</span> {STAGE_WORDS[s.stage]}: {s.reason}
          </li>
        ))}
      </ul>
    </div>
  );
}
