/** Step 2 of the export wizard: the plan's images, totals and notes, and what stops it (once per registry for a registry-wide cause). */
import { VirtualTable, type VirtualColumn } from '../../components/VirtualTable.tsx';
import { formatBytes } from '../../../src-shared/units.ts';
import type { ExportPlanResult } from '../../../src-shared/api/contract.ts';
import { hintAsFields } from '../../api/hint-words.ts';
import { shortDigest } from '../../format.ts';
import { useExport } from '../../stores/export-store.ts';

/**
 * The plan's problems in plain words: a problem with a hint (a registry
 * without TLS, an untrusted CA, missing credentials) is one line naming the
 * field that fixes it and the references it stopped; the engine's own text
 * stays folded under "Details".
 */
export function PlanProblems({ problems, onContinue, leftOut = false }: { problems: ExportPlanResult['problems']; onContinue?: () => void; leftOut?: boolean }) {
  const stopped = problems.reduce((n, p) => n + (p.references?.length ?? 1), 0);
  const these = `${stopped} reference${stopped === 1 ? '' : 's'}`;
  return (
    <div role={leftOut ? 'note' : 'alert'} aria-label={leftOut ? 'References left out' : undefined} className={leftOut ? 'notice' : 'notice notice-error'}>
      <p className="notice-title">
        {leftOut
          ? `${these} will not be carried; the bundle lists ${stopped === 1 ? 'it' : 'them'} as skipped, with the reason.`
          : `${these} could not be resolved. Fix what is named below (or remove the reference), then plan again${onContinue ? ', or continue without them' : ''}.`}
      </p>
      <ul>
        {problems.map((p) => (
          <li key={p.reference}>
            {p.hint ? (
              <>
                {hintAsFields(p.hint)}{' '}
                <span className="hint">
                  ({p.references && p.references.length > 1 ? `${p.references.length} references: ` : ''}
                  <span className="mono">{(p.references ?? [p.reference]).join(', ')}</span>)
                </span>
              </>
            ) : (
              <>
                <span className="mono">{p.reference}</span>: {p.message}
              </>
            )}
            {p.hint && (
              <details>
                <summary>Details</summary>
                <p className="mono">{p.message}</p>
              </details>
            )}
          </li>
        ))}
      </ul>
      {onContinue && (
        <div className="actions">
          <button type="button" onClick={onContinue}>
            Continue without these
          </button>
        </div>
      )}
    </div>
  );
}

type PlanImage = ExportPlanResult['images'][number];
const PLAN_COLUMNS: VirtualColumn<PlanImage>[] = [
  { key: 'reference', header: 'Reference', className: 'mono', cell: (img) => img.reference, title: (img) => img.reference, width: '45%' },
  { key: 'digest', header: 'Digest', className: 'mono', cell: (img) => shortDigest(img.digest), title: (img) => img.digest },
  { key: 'platforms', header: 'Platforms', cell: (img) => (img.platforms.length ? img.platforms.join(', ') : '—') },
  { key: 'size', header: 'Size', className: 'num', cell: (img) => formatBytes(img.size), width: '8rem' },
];

/** The plan: its images, totals, notes and problems. */
export function PlanStep() {
  const s = useExport();
  const plan = s.plan;
  if (!plan) return null;
  return (
    <>
      {plan.problems.length > 0 && <PlanProblems problems={plan.problems} leftOut={s.keepGoing} />}
      <VirtualTable caption="Images in the plan" label="Images in the plan, scrollable" columns={PLAN_COLUMNS} rows={plan.images} rowKey={(img) => `${img.reference}@${img.digest}`} />
      <dl className="facts" aria-label="Totals">
        <div>
          <dt>Images</dt>
          <dd>{plan.images.length}</dd>
        </div>
        <div>
          <dt>Blobs</dt>
          <dd>{plan.blobs}</dd>
        </div>
        <div>
          <dt>Total size</dt>
          <dd>{formatBytes(plan.bytes)}</dd>
        </div>
        <div>
          <dt>Saved by deduplication</dt>
          <dd>{formatBytes(plan.savedByDedup)}</dd>
        </div>
        {plan.parent && (
          <div>
            <dt>Left out (the site has it)</dt>
            <dd>{formatBytes(plan.savedByIncremental)}</dd>
          </div>
        )}
      </dl>
      {plan.parent && (
        <p className="hint">
          Incremental on top of bundle <span className="mono">{plan.parent}</span>.
        </p>
      )}
      {plan.notes.length > 0 && (
        // The list scrolls past 16rem (styles.css), so it takes focus: a keyboard user can scroll it too.
        <ul className="notes" aria-label="Notes" tabIndex={0}>
          {plan.notes.map((n, i) => (
            // A Deckhouse plan has a note per version and module, and two may read the same.
            <li key={`${String(i)} ${n}`}>{n}</li>
          ))}
        </ul>
      )}
      <div className="actions">
        <button type="button" onClick={() => s.goTo('what')}>
          Back
        </button>
        <button type="button" className="primary" disabled={(plan.problems.length > 0 && !s.keepGoing) || plan.images.length === 0} onClick={() => s.goTo('where')}>
          Choose where
        </button>
      </div>
    </>
  );
}
