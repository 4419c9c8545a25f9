/** Step 5 of the export wizard: what was written, in the operator's words, its verification, and removing the drive. */
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { JobProgressView } from '../../components/JobProgressView.tsx';
import { SafelyRemove } from '../../components/SafelyRemove.tsx';
import type { ExportJobResult } from '../../../src-shared/api/jobs.ts';
import { formatBytes } from '../../../src-shared/units.ts';
import { formatDuration } from '../../format.ts';
import { useExport } from '../../stores/export-store.ts';
import { VerifyReport } from '../../components/VerifyReport.tsx';
import { SkippedReferences } from '../../components/SkippedReferences.tsx';

/** The bundle's facts, each under a name an operator uses (no field names, sizes and durations formatted). */
function BundleSummary({ result }: { result: ExportJobResult }) {
  const facts: Array<[string, string]> = [
    ['Images', String(result.images)],
    ['Files (layers and configs)', String(result.blobs)],
    ['Size', formatBytes(result.bytes)],
    ['Form', result.form === 'archive' ? `archive, ${result.parts} part${result.parts === 1 ? '' : 's'}` : 'folder of files'],
    ['Took', result.alreadyComplete ? 'nothing to do: the folder already held this bundle' : formatDuration(result.seconds)],
  ];
  return (
    <>
      <dl className="facts" aria-label="Bundle summary">
        {facts.map(([name, value]) => (
          <div key={name}>
            <dt>{name}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
      {result.formReason && <p className="hint">Why this form: {result.formReason}</p>}
      {result.bundleId && (
        <p className="hint">
          Bundle number (for the catalog and the receiving site): <span className="mono">{result.bundleId}</span>
        </p>
      )}
    </>
  );
}

/** Done. */
export function DoneStep() {
  const s = useExport();
  const result = s.job?.status === 'succeeded' ? s.job.result : undefined;
  return (
    <>
      <p role="status">
        The bundle was written to <span className="mono">{s.target}</span>.
      </p>
      {result && <BundleSummary result={result} />}
      {result?.skipped && result.skipped.length > 0 && (
        <SkippedReferences
          skipped={result.skipped}
          heading={`Carried ${result.carried ?? 0} of ${(result.carried ?? 0) + result.skipped.length}; skipped ${result.skipped.length} (the bundle lists ${result.skipped.length === 1 ? 'it' : 'them'} with the reason):`}
        />
      )}
      <h3>Verification</h3>
      {!s.verify && !s.verifyError && <JobProgressView jobId={s.verifyJobId} label="Verification progress" />}
      <ErrorNotice error={s.verifyError} />
      {s.verify && <VerifyReport result={s.verify} />}
      <SafelyRemove bundle={result?.bundle ?? s.target} eject={s.eject} onEject={(path) => void s.ejectDrive(path)} />
      <div className="actions">
        <button type="button" onClick={() => s.reset()}>
          Export another set
        </button>
      </div>
    </>
  );
}
