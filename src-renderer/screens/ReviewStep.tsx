/**
 * The import wizard's Review step, between the target and the push: the
 * engine's review of the bundle for that target, the officer's Approve /
 * Reject form, and the push, which stays disabled with the reason shown until
 * the review allows it. Opened from the start screen ("Review a bundle"), it
 * first asks which bundle and which target registry to review.
 */
import { AccessFields } from '../components/AccessFields.tsx';
import { DecisionForm } from '../components/DecisionForm.tsx';
import { ErrorNotice } from '../components/ErrorNotice.tsx';
import { PathField } from '../components/PathField.tsx';
import { ReviewPanel } from '../components/ReviewPanel.tsx';
import { useImport } from '../stores/import-store.ts';
import { useReview } from '../stores/review-store.ts';

/** Which bundle and which target: shown when the step was opened without them (the start screen's entry) or to review another. */
function WhatToReview() {
  const s = useImport();
  return (
    <form
      aria-label="What to review"
      onSubmit={(e) => {
        e.preventDefault();
        void s.review();
      }}
    >
      <PathField id="review-bundle" label="Bundle folder (the folder holding ferry.json)" kind="folder" value={s.bundle} onChange={(bundle) => s.set({ bundle })} />
      <div className="field">
        <label htmlFor="review-target">Target registry address and prefix</label>
        <input id="review-target" type="text" spellCheck={false} placeholder="registry.local:5000/mirror" value={s.target} onChange={(e) => s.set({ target: e.target.value })} />
      </div>
      <AccessFields legend="Target registry access" idPrefix="review" access={s.access} onChange={s.setAccess} prefilledFrom={s.prefilledFrom} />
      <div className="actions">
        <button type="submit" className="primary" disabled={s.busy}>
          Review bundle
        </button>
      </div>
    </form>
  );
}

/** The push button and, while it is disabled, why. */
function PushAction() {
  const s = useImport();
  const report = useReview((r) => r.report);
  const reviewing = useReview((r) => r.busy);
  const allowed = report?.pushAllowed === true;
  return (
    <>
      {!allowed && (
        <p id="push-blocked" className="hint">
          Push is disabled: {report?.blockedReason ?? 'review the bundle first.'}
        </p>
      )}
      <div className="actions">
        <button type="button" onClick={() => s.goTo('target')}>
          Back
        </button>
        <button type="button" disabled={s.busy || reviewing} onClick={() => void s.review()}>
          Review again
        </button>
        <button type="button" className="primary" disabled={!allowed || s.busy || reviewing} aria-describedby={allowed ? undefined : 'push-blocked'} onClick={() => void s.push()}>
          Push images
        </button>
      </div>
    </>
  );
}

/** The Review step. */
export function ReviewStep() {
  const s = useImport();
  const { report, busy, error, input } = useReview();
  return (
    <>
      {!report && !busy && <WhatToReview />}
      {busy && !report && <p role="status">Verifying and reviewing the bundle…</p>}
      {!report && <ErrorNotice error={error} />}
      {report && input && (
        <p>
          Bundle <span className="mono">{input.bundle}</span> for <span className="mono">{input.target}</span>.
        </p>
      )}
      {report && <ReviewPanel report={report} />}
      {report && <DecisionForm />}
      <ErrorNotice error={s.error} />
      {report && <PushAction />}
    </>
  );
}
