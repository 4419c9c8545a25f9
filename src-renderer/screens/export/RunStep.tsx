/** Step 4 of the export wizard: the run's progress, a cancel that asks first, and a resume after a stop. */
import { useEffect, useRef, useState } from 'react';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { JobProgressView } from '../../components/JobProgressView.tsx';
import { useExport } from '../../stores/export-store.ts';

/** "Cancel the export?": the work done so far is kept, and "Run again" resumes it. Focus moves into the question and back. */
function ConfirmCancel({ onKeep, onCancel }: { onKeep: () => void; onCancel: () => void }) {
  const keep = useRef<HTMLButtonElement>(null);
  useEffect(() => keep.current?.focus(), []);
  return (
    <div className="confirm" role="alertdialog" aria-labelledby="cancel-title" aria-describedby="cancel-text" onKeyDown={(e) => e.key === 'Escape' && onKeep()}>
      <p id="cancel-title" className="notice-title">
        Cancel the export?
      </p>
      <p id="cancel-text">What is written so far stays on the drive: &quot;Run again&quot; resumes from there.</p>
      <div className="actions">
        <button type="button" ref={keep} onClick={onKeep}>
          Keep exporting
        </button>
        <button type="button" className="primary" onClick={onCancel}>
          Cancel the export
        </button>
      </div>
    </div>
  );
}

/** Exporting. */
export function RunStep() {
  const s = useExport();
  const [asking, setAsking] = useState(false);
  const cancelButton = useRef<HTMLButtonElement>(null);
  const ended = s.job !== null;
  const images = s.plan?.images.map((img) => ({ name: img.reference, blobs: img.blobs, size: img.size, omittedBytes: img.omittedBytes ?? 0 }));
  const stopped = s.job && s.job.status !== 'succeeded';
  return (
    <>
      <JobProgressView jobId={s.jobId} label="Export progress" images={images} />
      {s.job?.status === 'succeeded' && (
        <p role="status" className="notice notice-ok">
          Export finished. Ferry is now verifying the bundle.
        </p>
      )}
      {stopped && s.job?.status === 'cancelled' && (
        <p role="status" className="notice">
          The export was cancelled. What was written is kept: &quot;Run again&quot; resumes it.
        </p>
      )}
      {stopped && s.job?.status !== 'cancelled' && <ErrorNotice error={s.job?.error ?? { code: 'INTERNAL', message: `The export stopped (${s.job?.status ?? 'unknown'}).` }} />}
      <ErrorNotice error={s.error} />
      {!ended && asking && (
        <ConfirmCancel
          onKeep={() => {
            setAsking(false);
            setTimeout(() => cancelButton.current?.focus(), 0);
          }}
          onCancel={() => {
            setAsking(false);
            void s.cancel();
          }}
        />
      )}
      <div className="actions">
        {!ended && !asking && (
          <button type="button" ref={cancelButton} onClick={() => setAsking(true)}>
            Cancel export
          </button>
        )}
        {ended && s.job?.status === 'succeeded' && (
          <button type="button" className="primary" onClick={() => s.goTo('done')}>
            See the result
          </button>
        )}
        {stopped && (
          <button type="button" onClick={() => s.goTo('where')}>
            Back
          </button>
        )}
        {stopped && (
          <button type="button" className="primary" onClick={() => void s.run()}>
            Run again (resumes)
          </button>
        )}
      </div>
    </>
  );
}
