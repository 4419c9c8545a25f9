/** The import wizard's first two steps: find the bundle (on a removable drive or in a folder), then verify it. */
import { useEffect } from 'react';
import { FieldHelp } from '../../components/FieldHelp.tsx';
import type { FoundBundle } from '../../../src-shared/api/contract.ts';
import { formatBytes } from '../../../src-shared/units.ts';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { JobProgressView } from '../../components/JobProgressView.tsx';
import { PathField } from '../../components/PathField.tsx';
import { VerifyReport } from '../../components/VerifyReport.tsx';
import { useImport } from '../../stores/import-store.ts';
import { engineProblem, folderProblem } from './checks.ts';
import { formatLocalTime as localTime } from '../../format.ts';

const FORM_WORDS = { directory: 'folder', archive: 'archive' } as const;

/** One found bundle, in words: what it is and what it holds, before any verification. */
function describeFound(found: FoundBundle): string {
  if (found.problem) return found.problem;
  if (found.kind === 'oci-layout') return 'OCI image layout (not written by Ferry)';
  const form = found.form ? `${FORM_WORDS[found.form]} form · ` : '';
  return `bundle ${found.sequence ?? '?'} · ${found.images ?? 0} image${found.images === 1 ? '' : 's'} · ${formatBytes(found.bytes)} · ${form}created ${found.created ? localTime(found.created) : '?'}`;
}

function FoundBundles() {
  const s = useImport();
  const { found, findBundles } = s;
  useEffect(() => {
    if (found === null) void findBundles();
  }, [found, findBundles]);
  const where = s.searchFolder.trim() ? 'in that folder' : 'on a removable drive';
  return (
    <fieldset>
      <legend>Bundles found</legend>
      <FieldHelp term="bundle" />
      {found === null && <p role="status">Looking for bundles…</p>}
      {found?.length === 0 && <p role="status">No bundle found {where}. Search a folder below, or type the bundle folder.</p>}
      {found && found.length > 0 && (
        <ul className="found-bundles" aria-label="Bundles found">
          {found.map((f) => (
            <li key={f.path}>
              <button type="button" aria-pressed={s.bundle === f.path} disabled={f.problem !== null} onClick={() => s.set({ bundle: f.path })}>
                Use {f.path}
              </button>
              <span className="hint">
                {' '}
                {f.drive ? `on ${f.drive} · ` : ''}
                {describeFound(f)}
              </span>
            </li>
          ))}
        </ul>
      )}
      <PathField
        id="search-folder"
        label="Folder to search for bundles (empty: removable drives)"
        kind="folder"
        value={s.searchFolder}
        onChange={(searchFolder) => s.set({ searchFolder })}
        invalid={folderProblem(s.searchFolder)}
      />
      <div className="actions">
        <button type="button" disabled={s.busy || folderProblem(s.searchFolder) !== undefined} onClick={() => void findBundles()}>
          Find bundles
        </button>
      </div>
    </fieldset>
  );
}

/** Step 1. */
export function BundleStep() {
  const s = useImport();
  const problem = folderProblem(s.bundle) ?? engineProblem(s.error, 'bundle');
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        if (folderProblem(s.bundle) === undefined) void s.startVerify();
      }}
    >
      <FoundBundles />
      <PathField id="bundle" label="Bundle folder (the folder holding ferry.json)" kind="folder" value={s.bundle} onChange={(bundle) => s.set({ bundle })} invalid={problem} />
      {!problem && <ErrorNotice error={s.error} />}
      <div className="actions">
        <button type="submit" className="primary" disabled={s.busy}>
          Verify bundle
        </button>
      </div>
    </form>
  );
}

/** Step 2. */
export function VerifyStep() {
  const s = useImport();
  const job = s.verifyJob;
  return (
    <>
      {!job && <JobProgressView jobId={s.verifyJobId} label="Verification progress" />}
      {job && job.status !== 'succeeded' && <ErrorNotice error={job.error ?? { code: 'BUNDLE_INVALID', message: `Verification ${job.status}.` }} />}
      {s.verify && <VerifyReport result={s.verify} side="import" bundle={s.bundle.trim()} />}
      <ErrorNotice error={s.error} />
      <div className="actions">
        {!job && (
          <button type="button" onClick={() => void s.cancel()}>
            Cancel verification
          </button>
        )}
        {job && (
          <button type="button" onClick={() => s.goTo('bundle')}>
            Back
          </button>
        )}
        <button type="button" className="primary" disabled={!s.verify?.ok || s.busy} onClick={() => void s.inspect()}>
          Inspect images
        </button>
      </div>
    </>
  );
}
