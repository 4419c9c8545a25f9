/**
 * The import wizard's Push step: progress while it runs; when it failed,
 * the ways on (push again, another target, start over); when it finished,
 * what happened in words, with why its counts differ from the bundle's, the
 * receipt for the trip back, the site's totals and "Safely remove drive".
 */
import type { ImportJobResult, VerifyJobResult } from '../../../src-shared/api/contract.ts';
import { formatBytes } from '../../../src-shared/units.ts';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { JobProgressView } from '../../components/JobProgressView.tsx';
import { SafelyRemove } from '../../components/SafelyRemove.tsx';
import { SkippedReferences } from '../../components/SkippedReferences.tsx';
import { useImport } from '../../stores/import-store.ts';
import { formatCount as count, formatDuration as duration } from '../../format.ts';

/** Why the push's counts are not the bundle's: manifests apart, layers once per repository, what the registry had or could link. */
function WhyTheNumbers({ result, bundle }: { result: ImportJobResult; bundle: VerifyJobResult | null }) {
  const { copied, skipped, mounted } = result.blobs;
  const pushed = copied + skipped + mounted;
  return (
    <p>
      {bundle && (
        <>
          The bundle holds {count(bundle.blobs, 'blob')} ({formatBytes(bundle.bytes)}), its manifests among them.{' '}
        </>
      )}
      The push counts only layers and configurations, once for each repository they go to ({pushed}), and writes manifests and tags apart ({count(result.manifestsPushed, 'write')}).{' '}
      {skipped > 0 && <>{count(skipped, 'blob was', 'blobs were')} already in the registry and </>}
      {mounted > 0 && <>{count(mounted, 'blob was', 'blobs were')} linked from another repository of it, </>}
      {skipped + mounted > 0 ? 'so nothing was sent for them.' : 'Every one of them was sent.'}
    </p>
  );
}

/** The finished import in words. */
function Summary({ result }: { result: ImportJobResult }) {
  const s = useImport();
  const { copied, skipped, mounted } = result.blobs;
  return (
    <section aria-label="Import summary">
      <h3>Import finished</h3>
      <dl className="facts">
        <div>
          <dt>Images</dt>
          <dd>
            {result.images.length} in <span className="mono">{result.target}</span>
          </dd>
        </div>
        <div>
          <dt>Blobs</dt>
          <dd>
            {copied} sent · {skipped} already in the registry · {mounted} linked
          </dd>
        </div>
        <div>
          <dt>Sent</dt>
          <dd>{formatBytes(result.bytesPushed)}</dd>
        </div>
        <div>
          <dt>Took</dt>
          <dd>{duration(result.seconds)}</dd>
        </div>
      </dl>
      <WhyTheNumbers result={result} bundle={s.verify} />
      <SkippedReferences skipped={result.skippedAtExport ?? []} />
      {result.receipt && (
        <p>
          The receipt for the trip back was written beside the bundle: <span className="mono">{result.receipt}</span>. Carry it to the connected side, so the next export for{' '}
          {result.site ? `site ${result.site.name}` : 'this registry'} leaves out what is already here.
        </p>
      )}
      {result.site && (
        <section aria-label={`Site ${result.site.name}`}>
          <h4>Site {result.site.name} now holds</h4>
          <p>
            {count(result.site.images, 'image')} ({count(result.site.blobs, 'blob')}, {formatBytes(result.site.bytes)}) from {count(result.site.imports, 'import')}. The catalog screen lists them per
            site.
          </p>
        </section>
      )}
    </section>
  );
}

/** Step 6. */
export function PushStep() {
  const s = useImport();
  const job = s.importJob;
  const running = job === null;
  return (
    <>
      <JobProgressView
        jobId={s.importJobId}
        label="Push progress"
        images={s.inspection?.images.map((img) => ({ name: img.name, blobs: img.blobs, size: img.size, omittedBytes: img.omittedBytes ?? 0 }))}
      />
      {job?.status === 'succeeded' && (
        <>
          <p role="status" className="notice notice-ok">
            All images were pushed to <span className="mono">{s.target}</span>.
          </p>
          <Summary result={job.result} />
          <SafelyRemove bundle={s.bundle} eject={s.eject} onEject={(path) => void s.ejectDrive(path)} />
        </>
      )}
      {job && job.status !== 'succeeded' && (
        <>
          <ErrorNotice error={job.error ?? { code: 'CANCELLED', message: `The import ${job.status}.` }} />
          <p className="hint">What was pushed stays in the registry: pushing again resumes, and the same bundle can go to another target.</p>
        </>
      )}
      <ErrorNotice error={s.error} />
      <div className="actions">
        {running && (
          <button type="button" onClick={() => void s.cancel()}>
            Cancel push
          </button>
        )}
        {job && job.status !== 'succeeded' && (
          <>
            <button type="button" onClick={() => s.goTo('target')}>
              Change the target
            </button>
            <button type="button" className="primary" onClick={() => void s.push()}>
              Push again (resumes)
            </button>
          </>
        )}
        {job?.status === 'succeeded' && (
          <button type="button" className="primary" disabled={s.busy} onClick={() => void s.loadMirror()}>
            Show mirror configuration
          </button>
        )}
      </div>
    </>
  );
}
